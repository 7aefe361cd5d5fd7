/* err.c — see err.h. A message longer than MT_ERR_LEN - 1 bytes is cut at a UTF-8
 * character boundary (util/utf8.h): it is printed, logged and sent in alerts as JSON, where a
 * partial character is refused or shown as garbage. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

int mt_err_set(struct mt_err *err, enum mt_code code, const char *fmt, ...)
{
    if (!err) return -1;
    char tmp[MT_ERR_LEN]; /* fmt's arguments may point into err->msg itself */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof tmp) tmp[utf8_whole_len(tmp, sizeof tmp - 1)] = '\0';
    memcpy(err->msg, tmp, sizeof tmp);
    err->code = code;
    return -1;
}

int mt_err_prefix(struct mt_err *err, const char *fmt, ...)
{
    if (!err) return -1;
    char tmp[MT_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    size_t k = n < 0 ? 0 : (size_t)n < sizeof tmp - 3 ? (size_t)n : utf8_whole_len(tmp, sizeof tmp - 3);
    tmp[k++] = ':';
    tmp[k++] = ' ';
    size_t rest = strnlen(err->msg, sizeof err->msg);
    if (rest > sizeof tmp - 1 - k) rest = utf8_whole_len(err->msg, sizeof tmp - 1 - k);
    memmove(tmp + k, err->msg, rest); /* the message is cut, never the context */
    tmp[k + rest] = '\0';
    memcpy(err->msg, tmp, sizeof tmp);
    if (err->code == MT_OK) err->code = MT_ERR_FAIL;
    return -1;
}

void mt_err_clear(struct mt_err *err)
{
    if (!err) return;
    err->code = MT_OK;
    err->msg[0] = '\0';
}
