/*
 * sp_netif.h - the native cores' questions about the netifs, each answered once: may a socket
 * bind this local address, and can a connection go to this one at all.
 *
 * The caller holds lwIP's core lock (rp2: under sp_lock(); esp32: in a tcpip_api_call callback,
 * which is the core lock or lwIP's own thread).
 */
#ifndef SP_NETIF_H
#define SP_NETIF_H

#include "lwip/opt.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"

/* lwIP's tcp_bind/udp_bind take any address without looking at the netifs; Linux (and so the
 * contract) says EADDRNOTAVAIL for an address the machine does not have. The wildcard, loopback
 * (127/8, ::1), multicast and the limited broadcast are always bindable; any other address must
 * be one of some netif's. */
static inline int sp_netif_addr_bindable(const ip_addr_t *a) {
    if (ip_addr_isany(a) || ip_addr_isloopback(a) || ip_addr_ismulticast(a)) {
        return 1;
    }
    if (IP_IS_V4(a) && ip4_addr_get_u32(ip_2_ip4(a)) == IPADDR_BROADCAST) {
        return 1;
    }
    struct netif *n;
    NETIF_FOREACH(n) {
        if (IP_IS_V4(a)) {
            if (ip4_addr_cmp(ip_2_ip4(a), netif_ip4_addr(n))) {
                return 1;
            }
        }
#if LWIP_IPV6
        else {
            for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
                if (ip6_addr_isvalid(netif_ip6_addr_state(n, i))
                    && ip6_addr_cmp_zoneless(ip_2_ip6(a), netif_ip6_addr(n, i))) {
                    return 1;
                }
            }
        }
#endif
    }
    return 0;
}

/* No route (EHOSTUNREACH, the contract's one "no route" error): a TCP connection never goes to a
 * broadcast (the limited one, 0.0.0.0, or a netif's subnet broadcast) or a multicast address. Linux
 * says so at once; lwIP would send the SYN out of the default netif and wait for the timeout. */
static inline int sp_netif_no_route(const ip_addr_t *a) {
    if (!IP_IS_V4(a)) {
        return 0;
    }
    u32_t dst = ip4_addr_get_u32(ip_2_ip4(a));
    if (dst == IPADDR_BROADCAST || dst == IPADDR_ANY || ip4_addr_ismulticast(ip_2_ip4(a))) {
        return 1;
    }
    struct netif *n;
    NETIF_FOREACH(n) {
        if (ip4_addr_isbroadcast_u32(dst, n)) {
            return 1;
        }
    }
    return 0;
}

#endif
