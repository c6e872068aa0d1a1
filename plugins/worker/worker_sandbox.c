/* worker_sandbox.c — limits, user and system-call filters of a plugin
 * worker (see worker_sandbox.h). */
#define _GNU_SOURCE
#include "worker_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sched.h>
#include <sys/syscall.h>

#include "cd_error.h"
#include "plugin_wire_internal.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

/* nobody / nogroup on Debian. */
#define NOBODY_UID 65534
#define NOGROUP_GID 65534

/* Descriptors a worker needs: stdio, the socket, its plugin files, the
 * segments of one call, and what dlopen opens on the way. */
#define WORKER_NOFILE 256

static int fail(char *err, size_t errlen, const char *what)
{
	return cd_fail(err, errlen, CD_EIO, "%s: %s", what, strerror(errno));
}

int sandbox_limits(uint64_t mem_bytes, char *err, size_t errlen)
{
	struct rlimit zero = { 0, 0 };
	struct rlimit files = { WORKER_NOFILE, WORKER_NOFILE };
	if (setrlimit(RLIMIT_CORE, &zero) != 0)
		return fail(err, errlen, "RLIMIT_CORE");
	/* No file a plugin could open would grow. */
	if (setrlimit(RLIMIT_FSIZE, &zero) != 0)
		return fail(err, errlen, "RLIMIT_FSIZE");
	if (setrlimit(RLIMIT_NOFILE, &files) != 0)
		return fail(err, errlen, "RLIMIT_NOFILE");
#ifndef SANITIZED
	if (mem_bytes) {
		struct rlimit as = { mem_bytes, mem_bytes };
		if (setrlimit(RLIMIT_AS, &as) != 0)
			return fail(err, errlen, "RLIMIT_AS");
	}
#else
	(void)mem_bytes;
#endif
	return CD_OK;
}

int sandbox_drop_user(char *err, size_t errlen)
{
	if (geteuid() != 0)
		return CD_OK;
	if (setgroups(0, NULL) != 0)
		return fail(err, errlen, "setgroups");
	if (setresgid(NOGROUP_GID, NOGROUP_GID, NOGROUP_GID) != 0)
		return fail(err, errlen, "setresgid");
	if (setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID) != 0)
		return fail(err, errlen, "setresuid");
	return CD_OK;
}

/* ---------------------------------------------------------- SIGSYS */

static int report_fd = -1;

/* Async-signal-safe: one write of a whole frame, then exit; as raw
 * system calls, since a sanitizer's interceptors may hold locks at the
 * forbidden call (TSan's fork does) and would deadlock here. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	uint32_t frame[3] = { PW_W_FAULT, 4, (uint32_t)si->si_syscall };
	syscall(SYS_write, report_fd, frame, sizeof(frame));
	syscall(SYS_exit_group, 125);
}

/* ---------------------------------------------------------- filters */

#define TRAP SCMP_ACT_TRAP

static int rule(scmp_filter_ctx f, uint32_t action, const char *name,
                unsigned n, const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0;   /* this architecture lacks the call */
	return seccomp_rule_add_array(f, action, nr, n, cmp);
}

static int deny(scmp_filter_ctx f, const char *name)
{
	return rule(f, TRAP, name, 0, NULL);
}

/* Calls that change the file system, the machine or other processes. */
static const char *const stage1_denied[] = {
	"socket", "socketpair", "connect", "bind", "listen", "accept",
	"accept4", "execve", "execveat", "fork", "vfork", "ptrace",
	"process_vm_readv", "process_vm_writev", "tkill", "pidfd_open",
	"pidfd_send_signal", "pidfd_getfd", "creat", "open_by_handle_at",
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir",
	"mkdirat", "rmdir", "chmod", "fchmod", "fchmodat", "chown", "fchown",
	"lchown", "fchownat", "truncate", "link", "linkat", "symlink",
	"symlinkat", "mknod", "mknodat", "utime", "utimes", "utimensat",
	"futimesat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
	"lremovexattr", "fremovexattr", "mount", "umount2", "pivot_root",
	"chroot", "setns", "unshare", "setuid", "setgid", "setreuid",
	"setregid", "setresuid", "setresgid", "setgroups", "setfsuid",
	"setfsgid", "reboot", "kexec_load", "kexec_file_load", "init_module",
	"finit_module", "delete_module", "bpf", "perf_event_open", "keyctl",
	"add_key", "request_key", "io_uring_setup", "io_uring_enter",
	"io_uring_register", "userfaultfd", "fanotify_init", "acct",
	"swapon", "swapoff", "quotactl", "ioperm", "iopl", "settimeofday",
	"clock_settime", "clock_adjtime", "adjtimex", "sethostname",
	"setdomainname", "syslog", "vhangup", "name_to_handle_at",
	"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
	"fspick", "mount_setattr", "landlock_create_ruleset", "memfd_secret",
	"process_madvise", "kcmp",
};

static int stage1_rules(scmp_filter_ctx f)
{
	int rc = 0;
	pid_t self = getpid();
	for (size_t i = 0; !rc && i < sizeof(stage1_denied) /
	                              sizeof(*stage1_denied); i++)
		rc = deny(f, stage1_denied[i]);
	/* Threads yes, processes no: a clone without CLONE_THREAD is a
	 * fork. clone3 hides its flags in memory, so it answers ENOSYS and
	 * the C library falls back to clone. */
	struct scmp_arg_cmp c1 =
		SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0);
	if (!rc)
		rc = rule(f, TRAP, "clone", 1, &c1);
	if (!rc)
		rc = rule(f, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
	if (!rc)
		rc = rule(f, SCMP_ACT_ERRNO(ENOSYS), "openat2", 0, NULL);
	/* Signals only to itself (kill(0) would reach the server's group). */
	struct scmp_arg_cmp k = SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)self);
	if (!rc)
		rc = rule(f, TRAP, "kill", 1, &k);
	if (!rc)
		rc = rule(f, TRAP, "tgkill", 1, &k);
	/* The SIGSYS reporter stays. */
	struct scmp_arg_cmp s = SCMP_A0(SCMP_CMP_EQ, SIGSYS);
	if (!rc)
		rc = rule(f, TRAP, "rt_sigaction", 1, &s);
	/* Opening for reading only. */
	static const scmp_datum_t bad_flags[][2] = {
		{ O_ACCMODE, O_WRONLY }, { O_ACCMODE, O_RDWR },
		{ O_CREAT, O_CREAT }, { O_TRUNC, O_TRUNC },
	};
	for (size_t i = 0; !rc && i < 4; i++) {
		struct scmp_arg_cmp o1 = SCMP_A1(SCMP_CMP_MASKED_EQ,
		                                 bad_flags[i][0], bad_flags[i][1]);
		struct scmp_arg_cmp o2 = SCMP_A2(SCMP_CMP_MASKED_EQ,
		                                 bad_flags[i][0], bad_flags[i][1]);
		rc = rule(f, TRAP, "open", 1, &o1);
		if (!rc)
			rc = rule(f, TRAP, "openat", 1, &o2);
	}
	return rc;
}

/* What init, score and fini may do. */
static const char *const stage2_allowed[] = {
	"read", "write", "readv", "writev", "pread64", "lseek", "close",
	"fstat", "newfstatat", "statx", "fcntl", "dup", "mmap", "munmap",
	"mremap", "mprotect", "madvise", "brk", "mincore", "futex",
	"futex_waitv", "set_robust_list", "get_robust_list", "rseq",
	"clock_gettime", "clock_getres", "gettimeofday", "time",
	"clock_nanosleep", "nanosleep", "getpid", "gettid", "getppid",
	"getuid", "geteuid", "getgid", "getegid", "sched_yield",
	"sched_getaffinity", "sched_getparam", "sched_getscheduler",
	"getrandom", "exit", "exit_group", "rt_sigreturn", "rt_sigprocmask",
	"rt_sigaction", "sigaltstack", "clone", "recvmsg", "sendmsg",
	"recvfrom", "sendto", "poll", "ppoll", "getrlimit", "prlimit64",
	"getrusage", "times", "sysinfo", "uname", "membarrier", "tgkill",
	"restart_syscall", "memfd_create", "ftruncate", "set_tid_address",
	"arch_prctl", "prctl",
};

static int stage2_rules(scmp_filter_ctx f)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof(stage2_allowed) /
	                              sizeof(*stage2_allowed); i++)
		rc = rule(f, SCMP_ACT_ALLOW, stage2_allowed[i], 0, NULL);
	/* isatty() of stdio. */
	struct scmp_arg_cmp t = SCMP_A1(SCMP_CMP_EQ, 0x5401 /* TCGETS */);
	if (!rc)
		rc = rule(f, SCMP_ACT_ALLOW, "ioctl", 1, &t);
	if (!rc)
		rc = rule(f, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
	return rc;
}

static int load(uint32_t def, int (*rules)(scmp_filter_ctx), char *err,
                size_t errlen, const char *what)
{
	scmp_filter_ctx f = seccomp_init(def);
	if (!f)
		return cd_fail(err, errlen, CD_ENOMEM, "%s: seccomp_init failed",
		               what);
	int rc = rules(f);
	if (!rc)
		rc = seccomp_load(f);
	seccomp_release(f);
	if (rc)
		return cd_fail(err, errlen, CD_EIO, "%s: %s", what,
		               strerror(-rc));
	return CD_OK;
}

int sandbox_stage1(int fd, char *err, size_t errlen)
{
	report_fd = fd;
	/* A crash ends the worker by its signal, which the server names; a
	 * sanitizer runtime's handler would instead start a report that
	 * needs calls the sandbox forbids. */
	static const int deadly[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE,
	                              SIGILL };
	for (size_t i = 0; i < sizeof(deadly) / sizeof(*deadly); i++)
		signal(deadly[i], SIG_DFL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return fail(err, errlen, "sigaction(SIGSYS)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(err, errlen, "no_new_privs");
	return load(SCMP_ACT_ALLOW, stage1_rules, err, errlen,
	            "sandbox stage 1");
}

int sandbox_stage2(char *err, size_t errlen)
{
	return load(TRAP, stage2_rules, err, errlen, "sandbox stage 2");
}
