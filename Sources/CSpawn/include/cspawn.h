#ifndef CSPAWN_H
#define CSPAWN_H

#include <sys/types.h>

/// Forks and execs `path` with `argv`/`envp`, wiring the child's stdin to /dev/null and
/// stdout/stderr to `out_fd`/`err_fd`. The child gets PR_SET_PDEATHSIG(SIGKILL), so it dies
/// with share-manager: note that the signal fires when the *thread* that forked exits,
/// so callers must fork from one long-lived thread. The child also gets a fresh signal
/// mask and default dispositions (we block signals we handle ourselves).
/// Returns the child's pid, or -1 with errno set (errno from exec is reported through a
/// close-on-exec pipe, so a missing binary fails here rather than as exit 127).
/// The child inherits no file descriptor but 0, 1 and 2.
pid_t cspawn_spawn(const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd);

/// pipe2(fds, O_CLOEXEC), which Swift's Glibc module does not export (a GNU extension):
/// a pipe made without close-on-exec leaks into whatever another thread starts meanwhile.
int cspawn_pipe(int fds[2]);

/// pidfd_open(pid, 0) and pidfd_getfd(pidfd, fd, 0) (Linux 5.3 and 5.6), which Swift cannot
/// call through the variadic syscall(2); -1 with errno set on failure. The duplicate is
/// close-on-exec.
int cspawn_pidfd_open(pid_t pid);
int cspawn_pidfd_getfd(int pidfd, int fd);

#endif
