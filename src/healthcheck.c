/* healthcheck: a minimal HTTP/1.0 client of the server's own /health. */
#include "healthcheck.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int healthcheck_run(const struct config *cfg)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = config_sockaddr(&addr, cfg->bind, cfg->port, true);
    if (addr_len == 0)
        return 1;
    int ret = 1;
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 1;
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    static const char req[] = "GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n";
    char buf[64];
    size_t got = 0;
    if (connect(fd, (struct sockaddr *)&addr, addr_len) != 0 ||
        send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
        goto out;
    while (got < 12) {
        ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (n <= 0)
            goto out;
        got += (size_t)n;
    }
    buf[got] = '\0';
    if (strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0)
        ret = 0;
out:
    close(fd);
    return ret;
}
