#ifndef SHARE_MANAGER_CSYSTEMD_SHIM_H
#define SHARE_MANAGER_CSYSTEMD_SHIM_H

// Only the sd_notify family is used; sd_notify itself is not variadic, so no wrapper is needed.
#include <systemd/sd-daemon.h>

#endif
