/*
 * json_string: the content of a JSON string, escapes and UTF-8 (mechanism M1, pure).
 *
 * Shared by the reader (json.c) and the writer (json_w.c); no other file needs it.
 * Positions are byte offsets into the document text, as in struct json_tok.
 */
#ifndef KETTLE_JSON_STRING_H
#define KETTLE_JSON_STRING_H

#include <stddef.h>

#include "base/kerr.h"

/* Length (1-4) of the valid UTF-8 sequence at s (n bytes available), or 0 when invalid. */
size_t json_string_utf8_len(const unsigned char *s, size_t n);
/* Checks string content text[start..end); fails naming the byte offset of the problem. */
int json_string_check(const char *text, int start, int end, struct kerr *err);
/* Decodes the character at text[*pos] of checked content into out; returns its length. */
size_t json_string_next(const char *s, int *pos, unsigned char out[4]);

#endif
