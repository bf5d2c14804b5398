/* SPDX-License-Identifier: GPL-2.0 */
/* A small JSON reader for capture lines: one object per line, bounded depth, no allocation per value
 * beyond one arena per parse. Strict: anything that is not JSON is an error with a position. */
#ifndef ZPCITRACE_JSON_H
#define ZPCITRACE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum zt_json_type { ZT_JSON_NULL, ZT_JSON_BOOL, ZT_JSON_NUMBER, ZT_JSON_STRING, ZT_JSON_ARRAY, ZT_JSON_OBJECT };

struct zt_json {
	enum zt_json_type type;
	bool boolean;
	double number;
	bool is_integer;      /* the number had no fraction or exponent and fits int64 */
	int64_t integer;
	bool is_unsigned;     /* an integer from 0 to 2^64 - 1, in uinteger */
	uint64_t uinteger;
	char *string;         /* NUL-terminated, unescaped (strings and object keys) */
	struct zt_json *child; /* first element / member (members carry their key in ->key) */
	struct zt_json *next;
	const char *key;
};

struct zt_json_doc {
	struct zt_json *root;
	void *arena;
	const char *error; /* why parsing failed */
	size_t error_at;   /* byte offset */
};

#define ZT_JSON_MAX_DEPTH 16

/* Parse exactly one JSON value from text[0..len) (surrounding white space allowed). 0 or -1 with doc->error. */
int zt_json_parse(const char *text, size_t len, struct zt_json_doc *doc);
void zt_json_free(struct zt_json_doc *doc);

/* member of an object (the last, where a key is given twice: as jq reads it), or NULL */
const struct zt_json *zt_json_get(const struct zt_json *obj, const char *key);
/* typed member access: false when absent or of another type */
bool zt_json_int(const struct zt_json *obj, const char *key, int64_t *out);
bool zt_json_u64(const struct zt_json *obj, const char *key, uint64_t *out);
bool zt_json_str(const struct zt_json *obj, const char *key, const char **out);

#endif
