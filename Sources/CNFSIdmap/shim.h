#ifndef SHARE_MANAGER_CNFSIDMAP_SHIM_H
#define SHARE_MANAGER_CNFSIDMAP_SHIM_H

// nfsidmap.h uses uid_t, gid_t and size_t without including the headers that define them.
#include <sys/types.h>
#include <stddef.h>
#include <nfsidmap.h>

// The longest domain libnfsidmap hands back (a macro, which Swift does not import).
static const int CNFSIDMAP_MAX_DOMAIN_LEN = NFS4_MAX_DOMAIN_LEN;

#endif
