/*
 * sp_host_tun.c - attach to a TUN device that lives in another network namespace (Linux).
 *
 * The host lwIP's link to the computer it runs on (sp_host_platform.c): a test makes a network
 * namespace with a TUN device in it, and lwIP reads and writes that device's IP packets, so the
 * namespace's kernel sockets are ordinary peers at addresses lwIP reaches. Kept apart from the
 * lwIP sources: the kernel's net/if.h and lwIP's headers do not mix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int sp_host_tun_open(const char *netns, const char *dev);

/* the fd of TUN device `dev` (IP packets, no header) of the namespace at path `netns` (NULL or
 * "": this thread's own); -errno on failure. Only the calling thread enters the namespace, and
 * it is back in its own before this returns. */
int sp_host_tun_open(const char *netns, const char *dev) {
    int back = -1, fd = -1, err = 0;
    if (dev == NULL || *dev == '\0' || strlen(dev) >= IFNAMSIZ) {
        return -EINVAL;
    }
    if (netns != NULL && *netns != '\0') {
        int ns = open(netns, O_RDONLY | O_CLOEXEC);
        back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (ns < 0 || back < 0 || setns(ns, CLONE_NEWNET) != 0) {
            err = errno;
            if (ns >= 0) {
                close(ns);
            }
            if (back >= 0) {
                close(back);
            }
            return -err;
        }
        close(ns);
    }
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        err = errno;
    } else {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        memcpy(ifr.ifr_name, dev, strlen(dev));
        if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    if (back >= 0) {
        if (setns(back, CLONE_NEWNET) != 0 && err == 0) {
            err = errno; /* cannot happen for our own namespace; never go on in the wrong one */
            close(fd);
            fd = -1;
        }
        close(back);
    }
    return fd >= 0 ? fd : -err;
}
