/*
 * The application inside a kernel-client test guest (Tests/IntegrationTests/KernelGuest.swift).
 * It reads one command per line from the serial port named on its command line and answers
 * with one JSON event per line, each stamped with the guest's CLOCK_MONOTONIC in seconds.
 * Built static (gcc -static) by scripts/kernel-client.sh: the initramfs has no libc.
 *
 *   mount DIR PORT EXPORT   mount(2) type nfs4 from 10.0.2.2 (QEMU's name for the host)
 *   umount DIR
 *   app DIR                 a writer (4 KiB + fsync every 100 ms) and an opener (a new file
 *                           every 500 ms), as threads; their slowest call is what stalled
 *   stats                   the app's counts and slowest calls since the last stats
 *   app-stop                stops both threads
 *   verify DIR              drops the page cache, re-reads every fsync'd block, checks it
 *   hold DIR                takes an fcntl write lock on lock.bin [0,100) and a flock on flock.bin
 *   check-hold              writes through both held files (a lost NFSv4 lock fails with EIO)
 *   release                 drops both
 *   preopen DIR             opens lock.bin and keeps it open for trylock (an application
 *                           that had the file open before a fault locks without an OPEN)
 *   trylock DIR [START]     F_SETLK on lock.bin [START,START+100) (START 0: the holder's
 *                           range); timed with the open when it opens; kept when granted
 *   tryflock DIR            flock(LOCK_EX|LOCK_NB) on flock.bin, timed; kept when granted
 *   mountstats DIR          the RPC count per NFS operation of the mount at DIR (non-zero
 *                           ones), from /proc/self/mountstats: what an idle client sends
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

enum { BLOCK = 4096, LOCK_LENGTH = 100 };

static int serial = -1;
static pthread_mutex_t emit_lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One line per event in a single locked write: the threads share the port. */
static void emit(const char *event, const char *fmt, ...) {
    char line[1024];
    int n = snprintf(line, sizeof line, "{\"t\":%.3f,\"event\":\"%s\"", now(), event);
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        line[n++] = ',';
        n += vsnprintf(line + n, sizeof line - (size_t)n - 2, fmt, ap);
        va_end(ap);
    }
    n += snprintf(line + n, sizeof line - (size_t)n, "}\n");
    pthread_mutex_lock(&emit_lock);
    for (int off = 0; off < n;) {
        ssize_t w = write(serial, line + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (int)w;
    }
    pthread_mutex_unlock(&emit_lock);
}

/* Block i's bytes; KernelGuest.swift checks the server's copy with the same rule. */
static void fill_block(unsigned char *buf, uint64_t i) {
    for (int j = 0; j < BLOCK; j++)
        buf[j] = j < 8 ? (unsigned char)(i >> (8 * j)) : (unsigned char)(i * 7 + (uint64_t)j);
}

/* The application: its counters are read and reset by `stats`. */
static struct {
    pthread_mutex_t lock;
    char dir[256];
    volatile int running;
    uint64_t blocks, opens, errors;
    double max_write, max_open;
    pthread_t writer, opener;
} app = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void sleep_until(double deadline) {
    double left = deadline - now();
    if (left <= 0) return;
    struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void *writer_main(void *unused) {
    (void)unused;
    char path[300];
    unsigned char buf[BLOCK];
    snprintf(path, sizeof path, "%s/app-data.bin", app.dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) { emit("app-error", "\"op\":\"open-data\",\"errno\":%d", errno); return NULL; }
    double next = now();
    for (uint64_t i = 0; app.running; i++) {
        fill_block(buf, i);
        double start = now();
        ssize_t w = pwrite(fd, buf, BLOCK, (off_t)(i * BLOCK));
        int err = w == BLOCK ? (fsync(fd) == 0 ? 0 : errno) : (w < 0 ? errno : EIO);
        double took = now() - start;
        pthread_mutex_lock(&app.lock);
        if (err) app.errors++; else app.blocks = i + 1;
        if (took > app.max_write) app.max_write = took;
        pthread_mutex_unlock(&app.lock);
        if (err) { emit("app-error", "\"op\":\"write\",\"block\":%llu,\"errno\":%d", (unsigned long long)i, err); break; }
        next += 0.1;
        if (next < now()) next = now();
        sleep_until(next);
    }
    close(fd);
    return NULL;
}

static void *opener_main(void *unused) {
    (void)unused;
    char path[300];
    double next = now();
    for (unsigned n = 0; app.running; n++) {
        snprintf(path, sizeof path, "%s/opens/o-%06u", app.dir, n);
        double start = now();
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
        int err = fd < 0 ? errno : (close(fd) == 0 ? 0 : errno);
        double took = now() - start;
        pthread_mutex_lock(&app.lock);
        if (err) app.errors++; else app.opens++;
        if (took > app.max_open) app.max_open = took;
        pthread_mutex_unlock(&app.lock);
        if (err) { emit("app-error", "\"op\":\"open\",\"n\":%u,\"errno\":%d", n, err); break; }
        next += 0.5;
        if (next < now()) next = now();
        sleep_until(next);
    }
    return NULL;
}

static void report_stats(const char *event) {
    pthread_mutex_lock(&app.lock);
    emit(event, "\"blocks\":%llu,\"opens\":%llu,\"errors\":%llu,\"max_write_s\":%.3f,\"max_open_s\":%.3f",
         (unsigned long long)app.blocks, (unsigned long long)app.opens, (unsigned long long)app.errors,
         app.max_write, app.max_open);
    app.max_write = app.max_open = 0;
    pthread_mutex_unlock(&app.lock);
}

static void start_app(const char *dir) {
    char opens[300];
    snprintf(app.dir, sizeof app.dir, "%s", dir);
    snprintf(opens, sizeof opens, "%s/opens", dir);
    if (mkdir(opens, 0755) != 0 && errno != EEXIST) { emit("app-error", "\"op\":\"mkdir\",\"errno\":%d", errno); return; }
    app.blocks = app.opens = app.errors = 0;
    app.max_write = app.max_open = 0;
    app.running = 1;
    pthread_create(&app.writer, NULL, writer_main, NULL);
    pthread_create(&app.opener, NULL, opener_main, NULL);
    emit("app-started", NULL);
}

static void stop_app(void) {
    if (!app.running) { emit("app-stopped", "\"was_running\":false"); return; }
    app.running = 0;
    pthread_join(app.writer, NULL);
    pthread_join(app.opener, NULL);
    report_stats("app-stopped");
}

static void verify(const char *dir) {
    char path[300];
    unsigned char want[BLOCK], got[BLOCK];
    sync();
    int drop = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (drop < 0 || write(drop, "3\n", 2) != 2) { emit("verify-error", "\"op\":\"drop_caches\",\"errno\":%d", errno); if (drop >= 0) close(drop); return; }
    close(drop);
    snprintf(path, sizeof path, "%s/app-data.bin", dir);
    int fd = open(path, O_RDONLY);
    if (fd < 0) { emit("verify-error", "\"op\":\"open\",\"errno\":%d", errno); return; }
    uint64_t i = 0, bad = 0;
    long long first_bad = -1;
    for (;; i++) {
        ssize_t r = pread(fd, got, BLOCK, (off_t)(i * BLOCK));
        if (r == 0) break;
        if (r != BLOCK) { emit("verify-error", "\"op\":\"read\",\"block\":%llu,\"errno\":%d", (unsigned long long)i, r < 0 ? errno : 0); close(fd); return; }
        fill_block(want, i);
        if (memcmp(want, got, BLOCK) != 0) { bad++; if (first_bad < 0) first_bad = (long long)i; }
    }
    close(fd);
    emit("verified", "\"blocks\":%llu,\"bad\":%llu,\"first_bad\":%lld", (unsigned long long)i, (unsigned long long)bad, first_bad);
}

static int held_fcntl = -1, held_flock = -1, preopened = -1;

static int open_in(const char *dir, const char *name) {
    char path[300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return open(path, O_CREAT | O_RDWR, 0644);
}

static int set_lock_at(int fd, short type, off_t start) {
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = LOCK_LENGTH };
    return fcntl(fd, F_SETLK, &fl) == 0 ? 0 : errno;
}

static int set_lock(int fd, short type) { return set_lock_at(fd, type, 0); }

static void hold(const char *dir) {
    held_fcntl = open_in(dir, "lock.bin");
    held_flock = open_in(dir, "flock.bin");
    if (held_fcntl < 0 || held_flock < 0) { emit("hold-error", "\"op\":\"open\",\"errno\":%d", errno); return; }
    int fcntl_err = set_lock(held_fcntl, F_WRLCK);
    int flock_err = flock(held_flock, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
    emit("holding", "\"fcntl_errno\":%d,\"flock_errno\":%d", fcntl_err, flock_err);
}

/* I/O through a file whose lock the client lost after a server restart fails with EIO. */
static int write_through(int fd) {
    if (fd < 0) return EBADF;
    if (pwrite(fd, "x", 1, 200) != 1) return errno;
    return fsync(fd) == 0 ? 0 : errno;
}

static void check_hold(void) {
    emit("hold-checked", "\"fcntl_errno\":%d,\"flock_errno\":%d", write_through(held_fcntl), write_through(held_flock));
}

static void release(void) {
    int fcntl_err = held_fcntl < 0 ? 0 : set_lock(held_fcntl, F_UNLCK);
    int flock_err = held_flock < 0 ? 0 : (flock(held_flock, LOCK_UN) == 0 ? 0 : errno);
    if (held_fcntl >= 0 && held_fcntl != preopened) close(held_fcntl);
    if (held_flock >= 0) close(held_flock);
    if (preopened >= 0) close(preopened);
    held_fcntl = held_flock = preopened = -1;
    emit("released", "\"fcntl_errno\":%d,\"flock_errno\":%d", fcntl_err, flock_err);
}

/* The second client: a refused attempt closes its file, a granted one is kept for `release`
 * (closing any descriptor of a file drops the process's POSIX locks on it: harmless here). */
static void try_lock(const char *dir, int use_flock, off_t offset) {
    const char *event = use_flock ? "tryflock" : "trylock";
    double start = now();
    int kept = !use_flock && preopened >= 0;
    int fd = kept ? preopened : open_in(dir, use_flock ? "flock.bin" : "lock.bin");
    if (fd < 0) { emit(event, "\"ok\":false,\"errno\":%d,\"s\":%.3f", errno, now() - start); return; }
    double opened = now();
    int err = use_flock ? (flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno) : set_lock_at(fd, F_WRLCK, offset);
    double done = now();
    if (err && !kept) close(fd);
    else if (!err && use_flock) held_flock = fd;
    else if (!err) held_fcntl = fd;
    emit(event, "\"ok\":%s,\"errno\":%d,\"s\":%.3f,\"open_s\":%.3f,\"preopened\":%s",
         err ? "false" : "true", err, done - start, opened - start, kept ? "true" : "false");
}

static void mountstats(const char *dir) {
    FILE *f = fopen("/proc/self/mountstats", "r");
    if (!f) { emit("mountstats-error", "\"errno\":%d", errno); return; }
    char line[512], ops[800] = "";
    size_t used = 0;
    int in_mount = 0, in_ops = 0;
    while (fgets(line, sizeof line, f)) {
        char name[300];
        unsigned long long count;
        if (!strncmp(line, "device ", 7)) {
            in_mount = sscanf(line, "device %*s mounted on %299s", name) == 1 && !strcmp(name, dir);
            in_ops = 0;
        } else if (in_mount && strstr(line, "per-op statistics")) {
            in_ops = 1;
        } else if (in_ops && sscanf(line, " %63[A-Z_0-9]: %llu", name, &count) == 2 && count > 0
                   && used + strlen(name) + 26 < sizeof ops) {
            used += (size_t)snprintf(ops + used, sizeof ops - used, "%s\"%s\":%llu", used ? "," : "", name, count);
        }
    }
    fclose(f);
    emit("mountstats", "\"ops\":{%s}", ops);
}

static void do_mount(const char *dir, const char *port, const char *export) {
    char source[300], options[300];
    snprintf(source, sizeof source, "10.0.2.2:%s", export);
    /* The options the issue measured with; no mount.nfs, so the address is given as addr=. */
    snprintf(options, sizeof options,
             "addr=10.0.2.2,port=%s,vers=4.1,proto=tcp,noresvport,softerr,timeo=600,retrans=5", port);
    mkdir(dir, 0755);
    if (mount(source, dir, "nfs4", 0, options) == 0) emit("mounted", "\"dir\":\"%s\"", dir);
    else emit("mount-failed", "\"dir\":\"%s\",\"errno\":%d", dir, errno);
}

static void handle(char *line) {
    char *argv[4] = { 0 };
    int argc = 0;
    for (char *save = NULL, *tok = strtok_r(line, " \t\r", &save); tok && argc < 4; tok = strtok_r(NULL, " \t\r", &save))
        argv[argc++] = tok;
    if (argc == 0) return;
    const char *cmd = argv[0];
    if (!strcmp(cmd, "mount") && argc == 4) do_mount(argv[1], argv[2], argv[3]);
    else if (!strcmp(cmd, "umount") && argc == 2) {
        if (umount2(argv[1], 0) == 0) emit("unmounted", NULL); else emit("umount-failed", "\"errno\":%d", errno);
    }
    else if (!strcmp(cmd, "app") && argc == 2) start_app(argv[1]);
    else if (!strcmp(cmd, "stats")) report_stats("stats");
    else if (!strcmp(cmd, "app-stop")) stop_app();
    else if (!strcmp(cmd, "verify") && argc == 2) verify(argv[1]);
    else if (!strcmp(cmd, "hold") && argc == 2) hold(argv[1]);
    else if (!strcmp(cmd, "check-hold")) check_hold();
    else if (!strcmp(cmd, "release")) release();
    else if (!strcmp(cmd, "trylock") && (argc == 2 || argc == 3)) try_lock(argv[1], 0, argc == 3 ? atoll(argv[2]) : 0);
    else if (!strcmp(cmd, "preopen") && argc == 2) {
        preopened = open_in(argv[1], "lock.bin");
        emit("preopened", "\"errno\":%d", preopened < 0 ? errno : 0);
    }
    else if (!strcmp(cmd, "tryflock") && argc == 2) try_lock(argv[1], 1, 0);
    else if (!strcmp(cmd, "mountstats") && argc == 2) mountstats(argv[1]);
    else emit("unknown-command", "\"argc\":%d", argc);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: probe /dev/ttyS1\n"); return 2; }
    serial = open(argv[1], O_RDWR | O_NOCTTY);
    if (serial < 0) { perror(argv[1]); return 1; }
    /* Raw: no echo of the host's commands, no newline translation. */
    struct termios t;
    if (tcgetattr(serial, &t) == 0) { cfmakeraw(&t); tcsetattr(serial, TCSANOW, &t); }
    char host[65] = "";
    gethostname(host, sizeof host - 1);
    emit("ready", "\"hostname\":\"%s\"", host);
    char buf[512];
    size_t used = 0;
    for (;;) {
        ssize_t r = read(serial, buf + used, sizeof buf - 1 - used);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 1;
        used += (size_t)r;
        char *nl;
        while ((nl = memchr(buf, '\n', used))) {
            *nl = 0;
            handle(buf);
            used -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, used);
        }
        if (used == sizeof buf - 1) used = 0; /* an overlong line is dropped */
    }
}
