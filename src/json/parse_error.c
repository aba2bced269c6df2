#include "json/parse_error.h"

#include "core/xalloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What comes next in jansson's grammar. */
enum scan_state {
    EXPECT_VALUE,          /* at the top, after ':', after ',' in an array */
    EXPECT_VALUE_OR_CLOSE, /* after '[' */
    EXPECT_KEY,            /* after ',' in an object */
    EXPECT_KEY_OR_CLOSE,   /* after '{' */
    EXPECT_COLON,          /* after a key */
    AFTER_VALUE,           /* ',' or the container's end; at the top, the end of the text */
};

/* An open container: an object with its current key, or an array with its current index. */
struct frame {
    bool object;
    size_t index;
    size_t key_start, key_end; /* the key's token, quotes included */
};

/* kind: { } [ ] , : as themselves, '"' a string, '0' a number, 'a' true, false or null,
 * '?' anything else, '\0' the end of the text */
struct token {
    char kind;
    bool open; /* a string that the text ends in */
    size_t start, end;
};

struct scan {
    const char *text;
    size_t len, at;
    struct frame *frames;
    size_t depth, cap;
    enum scan_state state;
};

struct buf {
    char *data;
    size_t len, cap;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Appends bytes of a key as a reference token: ~ and / become ~0 and ~1 (RFC 6901). UTF-8
 * sequences hold no byte below 0x80, so escaping byte by byte is safe. */
static void buf_put_escaped(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '~')
            buf_put(b, "~0", 2);
        else if (s[i] == '/')
            buf_put(b, "~1", 2);
        else
            buf_put(b, s + i, 1);
    }
}

/* ---- the text of a key ---- */

/* @return the length of the well-formed UTF-8 sequence at @a s (RFC 3629: no overlong form, no
 * surrogate, nothing above U+10FFFF), or 0 */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        lo = s[0] == 0xE0 ? 0xA0 : 0x80;
        hi = s[0] == 0xED ? 0x9F : 0xBF;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        lo = s[0] == 0xF0 ? 0x90 : 0x80;
        hi = s[0] == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

static bool hex4(const char *s, size_t i, size_t end, uint32_t *out)
{
    if (end < 4 || i > end - 4)
        return false;
    uint32_t v = 0;
    for (size_t k = i; k < i + 4; k++) {
        char c = s[k];
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0)
            return false;
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return true;
}

/* Reads the escape at s[i] == '\\' into a code point. @return the bytes it takes, or 0 when it is
 * not one (a bad letter, short hex, a lone surrogate) */
static size_t unescape(const char *s, size_t i, size_t end, uint32_t *cp)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (i + 1 >= end)
        return 0;
    const char *simple = s[i + 1] != '\0' ? strchr(from, s[i + 1]) : NULL;
    if (simple != NULL) {
        *cp = (unsigned char)to[simple - from];
        return 2;
    }
    uint32_t hi, lo;
    if (s[i + 1] != 'u' || !hex4(s, i + 2, end, &hi) || (hi >= 0xDC00 && hi <= 0xDFFF))
        return 0;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return 6;
    }
    if (i + 7 >= end || s[i + 6] != '\\' || s[i + 7] != 'u' || !hex4(s, i + 8, end, &lo) ||
        lo < 0xDC00 || lo > 0xDFFF)
        return 0;
    *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    return 12;
}

static void put_code_point(struct buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_put_escaped(b, u, n);
}

/* Appends the key whose token is text[start, end) as a reference token. @return false (nothing
 * usable appended) when the key is not text a pointer can hold: a bad escape, a lone surrogate,
 * NUL, a control character, bytes that are not UTF-8, no closing quote. */
static bool put_key(struct buf *b, const char *s, size_t start, size_t end)
{
    size_t i = start + 1;
    while (i < end) {
        unsigned char c = (unsigned char)s[i];
        size_t n;
        if (c == '"')
            return i + 1 == end;
        if (c == '\\') {
            uint32_t cp = 0;
            n = unescape(s, i, end, &cp);
            if (n == 0 || cp == 0)
                return false;
            put_code_point(b, cp);
        } else {
            n = utf8_sequence((const unsigned char *)s + i, end - i);
            if (n == 0 || c < 0x20)
                return false;
            buf_put_escaped(b, s + i, n);
        }
        i += n;
    }
    return false;
}

/* ---- tokens, with the boundaries jansson's lexer gives them ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t digits_end(const char *s, size_t i, size_t len)
{
    while (i < len && is_digit(s[i]))
        i++;
    return i;
}

/* jansson stops a number where its grammar does ("01" is "0" then "1"); a malformed one ends no
 * earlier than jansson's, so the token it refused is still the one found at the error. */
static size_t number_end(const char *s, size_t i, size_t len)
{
    if (i < len && s[i] == '-')
        i++;
    if (i < len && s[i] == '0')
        i++;
    else
        i = digits_end(s, i, len);
    if (i < len && s[i] == '.')
        i = digits_end(s, i + 1, len);
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        i = digits_end(s, i, len);
    }
    return i;
}

static void string_token(const char *s, struct token *t, size_t len)
{
    t->open = false;
    for (size_t i = t->start + 1; i < len; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '"') {
            t->end = i + 1;
            return;
        }
    }
    t->open = true;
    t->end = len;
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void literal_token(const char *s, struct token *t, size_t len)
{
    size_t i = t->start;
    while (i < len && is_letter(s[i]))
        i++;
    t->end = i;
    size_t n = i - t->start;
    const char *w = s + t->start;
    bool known = (n == 4 && (memcmp(w, "true", 4) == 0 || memcmp(w, "null", 4) == 0)) ||
                 (n == 5 && memcmp(w, "false", 5) == 0);
    t->kind = known ? 'a' : '?';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void next_token(struct scan *s, struct token *t)
{
    const char *p = s->text;
    while (s->at < s->len && is_space(p[s->at]))
        s->at++;
    t->start = s->at;
    t->end = s->at + 1;
    t->open = false;
    if (s->at >= s->len) {
        t->kind = '\0';
        t->end = s->len;
    } else if (p[s->at] != '\0' && strchr("{}[],:", p[s->at]) != NULL) {
        t->kind = p[s->at];
    } else if (p[s->at] == '"') {
        t->kind = '"';
        string_token(p, t, s->len);
    } else if (p[s->at] == '-' || is_digit(p[s->at])) {
        t->kind = '0';
        t->end = number_end(p, s->at, s->len);
    } else if (is_letter(p[s->at])) {
        literal_token(p, t, s->len);
    } else {
        t->kind = '?';
    }
    s->at = t->end;
}

/* ---- the grammar ---- */

static struct frame *innermost(struct scan *s)
{
    return &s->frames[s->depth - 1];
}

static void open_container(struct scan *s, bool object)
{
    if (s->depth == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->frames = xrealloc(s->frames, s->cap * sizeof *s->frames);
    }
    s->frames[s->depth++] = (struct frame){.object = object};
    s->state = object ? EXPECT_KEY_OR_CLOSE : EXPECT_VALUE_OR_CLOSE;
}

static bool close_container(struct scan *s, char kind)
{
    if (s->depth == 0 || kind != (innermost(s)->object ? '}' : ']'))
        return false;
    s->depth--;
    s->state = AFTER_VALUE;
    return true;
}

static bool begin_value(struct scan *s, const struct token *t)
{
    if (t->kind == '{' || t->kind == '[')
        open_container(s, t->kind == '{');
    else if (t->kind == '"' || t->kind == '0' || t->kind == 'a')
        s->state = AFTER_VALUE;
    else
        return false;
    return true;
}

/* Takes @a t as the grammar allows; @return false when it does not. */
static bool step(struct scan *s, const struct token *t)
{
    switch (s->state) {
        case EXPECT_VALUE_OR_CLOSE:
            return t->kind == ']' ? close_container(s, ']') : begin_value(s, t);
        case EXPECT_VALUE:
            return begin_value(s, t);
        case EXPECT_KEY_OR_CLOSE:
        case EXPECT_KEY:
            if (t->kind == '}' && s->state == EXPECT_KEY_OR_CLOSE)
                return close_container(s, '}');
            if (t->kind != '"')
                return false;
            innermost(s)->key_start = t->start;
            innermost(s)->key_end = t->end;
            s->state = EXPECT_COLON;
            return true;
        case EXPECT_COLON:
            if (t->kind != ':')
                return false;
            s->state = EXPECT_VALUE;
            return true;
        case AFTER_VALUE:
            if (s->depth == 0)
                return false; /* more after the document */
            if (t->kind != ',')
                return close_container(s, t->kind);
            if (innermost(s)->object) {
                s->state = EXPECT_KEY;
            } else {
                innermost(s)->index++;
                s->state = EXPECT_VALUE;
            }
            return true;
    }
    return false;
}

/* Appends "/" and the current member of @a f (key span @a start..@a end for an object).
 * @return false, having appended nothing, when the key cannot be named. */
static bool put_member(struct buf *b, const struct scan *s, const struct frame *f, size_t start,
                       size_t end)
{
    size_t before = b->len;
    if (!f->object) {
        char index[24];
        int n = snprintf(index, sizeof index, "/%zu", f->index);
        buf_put(b, index, (size_t)n);
        return true;
    }
    buf_put(b, "/", 1);
    if (put_key(b, s->text, start, end))
        return true;
    b->len = before;
    b->data[before] = '\0';
    return false;
}

/* Does the problem at @a t lie in the current member of the innermost container? It does while
 * that member's value is read or its key has just been read; between members, or in a key that
 * never became one, it lies in the container. */
static bool in_member(const struct scan *s, const struct token *t, size_t *start, size_t *end)
{
    const struct frame *f = &s->frames[s->depth - 1];
    *start = f->key_start;
    *end = f->key_end;
    switch (s->state) {
        case EXPECT_VALUE:
        case EXPECT_COLON:
            return true;
        case EXPECT_VALUE_OR_CLOSE:
            return t->kind != ']';
        case EXPECT_KEY:
        case EXPECT_KEY_OR_CLOSE:
            *start = t->start;
            *end = t->end;
            return t->kind == '"';
        case AFTER_VALUE:
            return false;
    }
    return false;
}

/* The pointer of where the scan stopped, at @a t. */
static char *pointer_of(const struct scan *s, const struct token *t)
{
    struct buf b = {.data = xstrdup(""), .len = 0, .cap = 1};
    if (s->depth == 0 || !s->frames[0].object) /* no member: the document itself is wrong */
        return b.data;
    for (size_t i = 0; i + 1 < s->depth; i++)
        if (!put_member(&b, s, &s->frames[i], s->frames[i].key_start, s->frames[i].key_end))
            return b.data;
    size_t start, end;
    if (in_member(s, t, &start, &end))
        put_member(&b, s, &s->frames[s->depth - 1], start, end);
    return b.data;
}

char *parse_error_field(const char *text, size_t len, const json_error_t *error)
{
    enum json_error_code code = json_error_code(error);
    if (text == NULL || code == json_error_premature_end_of_input ||
        code == json_error_end_of_input_expected)
        return xstrdup(""); /* cut short, or more than one value: the whole document */
    /* jansson's position is past the token it refused; for a byte that is not UTF-8, at it */
    size_t stop = error->position > 0 ? (size_t)error->position : 0;
    if (code == json_error_invalid_utf8)
        stop++;
    if (stop > len)
        stop = len;
    struct scan s = {.text = text, .len = len, .state = EXPECT_VALUE};
    struct token t;
    do
        next_token(&s, &t);
    while (t.kind != '\0' && t.end < stop && step(&s, &t));
    /* the parser read to the end inside a string ("\u00, say): the text was cut short */
    char *field = t.open && stop == len ? xstrdup("") : pointer_of(&s, &t);
    free(s.frames);
    return field;
}

const char *parse_error_message(const json_error_t *error)
{
    return strstr(error->text, "JSON_ALLOW_NUL") != NULL ? "\\u0000 (NUL) is not allowed in text"
                                                         : error->text;
}
