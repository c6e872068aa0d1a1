/*
 * ctl_update — what clusterctl's update commands ("cluster update",
 * "competition update") send: each record of FILE with the update mask
 * that makes the server (AIP-134) change exactly what the user wrote.
 *
 * With --mask, every record gets that mask ("*" = replace everything).
 * Without it, a JSON record gets the top-level fields it names, so a field
 * given empty ("cities": [], "region": "") is cleared and one left out is
 * kept; id and the output-only fields (etag, create_time, update_time) are
 * never in it. CSV records get no mask: the server then updates the fields
 * that have a value (an empty cell keeps the stored one).
 *
 * Thread-safety: clusterctl is single-threaded; none of this is shared.
 */
#ifndef CTL_UPDATE_H
#define CTL_UPDATE_H

#include <stddef.h>

#include "ctl.h"
#include "google/protobuf/field_mask.pb-c.h"

typedef struct ctl_updates {
	ProtobufCMessage **msgs;
	size_t n;
	Google__Protobuf__FieldMask given;   /* --mask */
	int has_given;
	Google__Protobuf__FieldMask *masks;  /* JSON: one per record */
} ctl_updates_t;

/* Reads FILE ("-" = standard input) as records of type desc with their
 * masks; mask_opt is --mask ("a,b", lowerCamelCase accepted) or NULL.
 * Prints the error; CTL_OK, CTL_FAIL (input) or CTL_USAGE (--mask). Free
 * with ctl_updates_free, also after a failure. */
int ctl_read_updates(const char *cmd, const char *path, const char *mask_opt,
                     const ProtobufCMessageDescriptor *desc,
                     ctl_updates_t *out);
void ctl_updates_free(ctl_updates_t *u);

/* The mask to send with record i: NULL for none. */
Google__Protobuf__FieldMask *ctl_update_mask(ctl_updates_t *u, size_t i);

#endif
