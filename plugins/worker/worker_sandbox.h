/*
 * worker_sandbox — what confines a plugin worker (clusterd-plugin-host):
 * resource limits, an unprivileged user when started as root, and two
 * stacked seccomp filters (docs/plugin-isolation.md lists both).
 *
 *  - Stage 1, before any plugin code runs (dlopen runs constructors):
 *    no network sockets, no process creation other than threads, no exec,
 *    no ptrace, no signals to other processes, no opening files for
 *    writing, no creating, renaming, removing or re-permissioning files.
 *  - Stage 2, once the plugins are loaded, for every init/score/fini:
 *    an allow list of what scoring needs (memory, the received segments,
 *    the control socket, clocks, futexes, threads); anything else,
 *    opening files included, stops the worker.
 *
 * A forbidden call raises SIGSYS; the handler reports the call's number
 * to the server on the control socket (PW_W_FAULT) and exits, so the run
 * fails naming the call. Plugins cannot replace that handler (stage 1
 * forbids rt_sigaction on SIGSYS).
 *
 * Thread-safety: call these on the worker's main thread, before plugins
 * start threads of their own.
 */
#ifndef WORKER_SANDBOX_H
#define WORKER_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

/* Core dumps off, no file growth, few descriptors, and the address-space
 * limit mem_bytes (0 = none; not applied in sanitizer builds, whose
 * shadow memory needs terabytes of address space). */
int sandbox_limits(uint64_t mem_bytes, char *err, size_t errlen);
/* Started as root: drop to nobody/nogroup (no supplementary groups).
 * Otherwise nothing. */
int sandbox_drop_user(char *err, size_t errlen);
/* Installs the SIGSYS reporter, sets no_new_privs and loads stage 1. */
int sandbox_stage1(int report_fd, char *err, size_t errlen);
/* Loads stage 2 on top. */
int sandbox_stage2(char *err, size_t errlen);

#endif
