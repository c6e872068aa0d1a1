/*
 * cd_error — the project's one error-code enum.
 *
 * Every module (store, engine, plugin loader, service) returns these codes;
 * the service translates them to gRPC status codes in exactly one place
 * (service/rpc_status.c). It lives in common/, which depends on no other
 * module, so every module (the client too) links the one enum. Validation failures each have their own code so
 * callers and tests can tell them apart; all of them map to INVALID_ARGUMENT.
 *
 * Thread-safety: pure functions, safe from any thread.
 */
#ifndef CD_ERROR_H
#define CD_ERROR_H

#include <stddef.h>

typedef enum cd_err {
	CD_OK = 0,
	/* Request-level outcomes. */
	CD_ENOTFOUND,      /* no such record */
	CD_EEXISTS,        /* record with that id already exists */
	CD_ECONFLICT,      /* stale etag (optimistic concurrency) */
	CD_EINVAL,         /* malformed request (generic) */
	CD_EPAGETOKEN,     /* page token is not one we issued for this query */
	CD_ELIMIT,         /* a size or count limit was exceeded */
	CD_ECANCELLED,     /* caller cancelled */
	CD_EDEADLINE,      /* deadline passed */
	CD_EUNAVAIL,       /* shutting down / not serving */
	CD_EUNIMPL,        /* not implemented */
	CD_EPRECONDITION,  /* state does not allow it (e.g. run of deleted comp) */
	CD_EPLUGIN,        /* a scoring plugin failed; message names it */
	CD_EUNAUTH,        /* no credentials, or credentials not known */
	CD_EPERM,          /* known caller without the role the call needs */
	/* Validation: one code per rule (all INVALID_ARGUMENT). */
	CD_EV_ID,          /* id syntax */
	CD_EV_NAME,        /* missing or empty name */
	CD_EV_ECONOMY,     /* economy is not ISO 3166-1 alpha-2 (or A/B) */
	CD_EV_INDICATOR_NAME,
	CD_EV_YEAR,        /* year outside the accepted range */
	CD_EV_NONFINITE,   /* NaN or infinity */
	CD_EV_LENGTH,      /* string too long */
	CD_EV_COUNT,       /* too many items in a repeated field */
	CD_EV_DUPLICATE,   /* duplicate key (indicator name+year, label, city) */
	CD_EV_EMPTY,       /* required string element empty */
	CD_EV_FIELDMASK,   /* unknown or read-only path in an update mask */
	CD_EV_CRITERION,   /* assessment criterion syntax */
	CD_EV_LABEL_KEY,   /* label key syntax */
	CD_EV_DEFINITION,  /* competition definition is inconsistent */
	CD_EV_ENCODING,    /* string is not valid UTF-8 or holds control chars */
	CD_EV_UNKNOWN_FIELD, /* a field this server's schema does not know */
	/* Internal failures. */
	CD_ENOMEM,
	CD_EIO,            /* filesystem or LMDB failure */
	CD_ECORRUPT,       /* a stored record did not decode */
	CD_EINTERNAL,
	CD__COUNT
} cd_err;

/* Short stable name of a code, e.g. "CD_ENOTFOUND". Never NULL. */
const char *cd_err_name(int code);

/* True for the validation codes (CD_EV_*) and CD_EINVAL. */
int cd_err_is_invalid(int code);

/* snprintf into a caller buffer that may be NULL/0; returns code. Lets error
 * paths be written as `return cd_fail(err, errlen, CD_EV_ID, "...", ...)`. */
int cd_fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
