/*
 * rpc_listen — clusterd's own listening sockets and accept loop, handing
 * each connection to gRPC with grpc_server_add_channel_from_fd.
 *
 * Why not gRPC's listener: in gRPC core 1.51 (tcp_server_posix.cc) an
 * accept4 that fails with anything but EAGAIN/EINTR — EMFILE when the
 * process is out of descriptors — logs "Failed accept4" once and stops
 * that listener for good, while the process looks healthy; and 1.51 has
 * no channel argument that caps incoming connections (its resource quota
 * only drops connections under memory pressure). Here:
 *
 * - the number of open connections is capped (max_connections); a
 *   connection over the cap is accepted and closed at once, so clients
 *   see a closed connection and retry, never a hang in the backlog;
 * - connections are counted exactly: each accepted descriptor is
 *   remembered with its socket's inode, and when the count reaches the
 *   cap the ones gRPC has closed since (descriptor gone or reused by
 *   another file) are swept out;
 * - EMFILE/ENFILE never stop the loop: a spare descriptor (/dev/null) is
 *   released to accept and close the waiting connection, and accepting
 *   goes on; other failures back off briefly and go on;
 * - the peer gRPC reports for such a connection is "fd:N";
 *   rpc_listen_peer gives back its address for the call log.
 *
 * Binding follows gRPC's rules: every address host resolves to, port 0
 * picks one port for all of them, "::" and "0.0.0.0" are a dual-stack
 * wildcard, no SO_REUSEPORT (a second server on the port fails), and
 * TCP_NODELAY on every connection.
 *
 * Thread-safety: bind, start, stop and destroy from one controlling
 * thread; rpc_listen_peer, rpc_listen_port and rpc_listen_stats from any
 * thread while the listener exists.
 */
#ifndef RPC_LISTEN_H
#define RPC_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

typedef struct rpc_listen rpc_listen_t;

/* Descriptors kept out of the connections' budget: the store, plugin
 * files, the port file, backups, gRPC's own. */
#define RPC_LISTEN_FD_RESERVE 64

/* Binds and listens on address (host:port). max_connections 0 = as many as
 * the descriptor limit allows after RPC_LISTEN_FD_RESERVE and the
 * descriptors already open; a larger number is lowered to that, with a
 * warning. Nothing is accepted before rpc_listen_start. */
int rpc_listen_bind(rpc_listen_t **out, const char *address,
                    unsigned max_connections, char *err, size_t errlen);

/* The bound port. */
int rpc_listen_port(const rpc_listen_t *l);

/* Starts the accept thread. server must be started (grpc_server_start). */
int rpc_listen_start(rpc_listen_t *l, grpc_server *server, char *err,
                     size_t errlen);

/* Stops accepting and closes the listening sockets; connections already
 * handed to gRPC are gRPC's. Idempotent. */
void rpc_listen_stop(rpc_listen_t *l);

/* Stops (if needed) and frees. NULL is a no-op. */
void rpc_listen_destroy(rpc_listen_t *l);

/* For a peer of the form "fd:N" of a connection accepted here, its
 * address ("ipv4:127.0.0.1:5000") copied into buf; otherwise grpc_peer
 * itself. Never NULL when grpc_peer is not. */
const char *rpc_listen_peer(rpc_listen_t *l, const char *grpc_peer,
                            char *buf, size_t cap);

typedef struct rpc_listen_stats {
	unsigned max_connections;  /* the cap in force */
	unsigned open;             /* connections counted open (a bound:
	                            * closed ones leave at the next sweep) */
	uint64_t accepted;         /* handed to gRPC */
	uint64_t refused_cap;      /* closed at once: at the cap */
	uint64_t refused_fds;      /* closed at once: out of descriptors */
} rpc_listen_stats_t;

void rpc_listen_stats(rpc_listen_t *l, rpc_listen_stats_t *out);
/* As rpc_listen_stats, after forgetting the connections gRPC has closed
 * (at most every 50 ms: a scrape's open count is exact to that). */
void rpc_listen_stats_swept(rpc_listen_t *l, rpc_listen_stats_t *out);

#endif
