#include "core/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    log_min_level = level;
}

int log_cli_error(int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    fprintf(stderr, "tracker: %s\n", msg);
    return status;
}

void log_time_now(char *buf, size_t size)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%06ldZ", date, (long)tv.tv_usec);
}

void log_line(const char *json, size_t len)
{
    /* one write(2) per line so lines from several threads never interleave */
    char *line = malloc(len + 1);
    if (line == NULL)
        return;
    for (size_t i = 0; i < len; i++)
        line[i] = json[i];
    line[len] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, len + 1);
    (void)ignored;
    free(line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < log_min_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char now[40];
    log_time_now(now, sizeof now);
    json_t *obj = json_pack("{s:s, s:s, s:s}", "time", now, "level", level_names[level], "msg", msg);
    if (obj == NULL)
        return;
    char *text = json_dumps(obj, JSON_COMPACT);
    if (text != NULL) {
        size_t n = 0;
        while (text[n] != '\0')
            n++;
        log_line(text, n);
    }
    free(text);
    json_decref(obj);
}
