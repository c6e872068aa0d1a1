#include "rpc_tls_peer.h"

#include <string.h>

#include <grpc/grpc_security.h>

#include "cd_error.h"

/* The first value of property name; NULL when there is none. */
static const grpc_auth_property *first_prop(const grpc_auth_context *ctx,
                                            const char *name)
{
	grpc_auth_property_iterator it =
		grpc_auth_context_find_properties_by_name(ctx, name);
	const grpc_auth_property *p;
	while ((p = grpc_auth_property_iterator_next(&it)))
		if (p->value && p->value_length)
			return p;
	return NULL;
}

int rpc_tls_peer_principal(grpc_call *call, char *out, size_t cap)
{
	if (cap)
		out[0] = '\0';
	grpc_auth_context *ctx = call ? grpc_call_auth_context(call) : NULL;
	if (!ctx)
		return CD_ENOTFOUND;
	int rc = CD_ENOTFOUND;
	/* Authenticated means the handshake verified a client certificate
	 * against the client CAs; a plaintext or one-way TLS call is not. */
	if (grpc_auth_context_peer_is_authenticated(ctx)) {
		const grpc_auth_property *p =
			first_prop(ctx, GRPC_X509_CN_PROPERTY_NAME);
		if (!p)
			p = first_prop(ctx, GRPC_X509_SAN_PROPERTY_NAME);
		if (p && p->value_length < cap &&
		    !memchr(p->value, '\0', p->value_length)) {
			memcpy(out, p->value, p->value_length);
			out[p->value_length] = '\0';
			rc = CD_OK;
		} else if (p) {
			rc = CD_ELIMIT;
		}
	}
	grpc_auth_context_release(ctx);
	return rc;
}
