"""Network probe shipped into a sandbox (stdlib only): `python netprobe.py PORT` prints JSON.

It proves isolation without sending a packet off the machine: one TCP connection to the
host's loopback listener on PORT, then inspection of interfaces and routes. Only once those
show no way out does it look at the resolver (a route lookup per nameserver: a UDP
`connect` sends nothing) and resolve a name, so even a leaky backend sends no DNS query.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys

RTF_REJECT = 0x0200  # "unreachable" routes: every network namespace has such a default on lo
INVALID_NAME = "codeloop-probe.invalid"  # RFC 6761: never resolves anywhere


def interfaces(proc_net_dev: str, sys_class_net: list[str] | None) -> list[str]:
    """Interface names from /proc/net/dev (always this process's namespace) and, where it is
    mounted, /sys/class/net: any interface seen in either counts."""
    names = {line.split(":", 1)[0].strip() for line in proc_net_dev.splitlines()[2:] if ":" in line}
    return sorted(names | set(sys_class_net or ()))


def default_routes(ipv4: str, ipv6: str) -> list[str]:
    """Usable default routes ("v4 IFACE" / "v6 IFACE") in /proc/net/route and ipv6_route text."""
    found = []
    for line in ipv4.splitlines()[1:]:
        f = line.split()  # Iface Destination Gateway Flags RefCnt Use Metric Mask ...
        if len(f) >= 8 and f[1] == "00000000" and f[7] == "00000000" and not int(f[3], 16) & RTF_REJECT:
            found.append(f"v4 {f[0]}")
    for line in ipv6.splitlines():
        f = line.split()  # dest prefixlen src srclen nexthop metric refcnt use flags iface
        if len(f) >= 10 and int(f[0], 16) == 0 and f[1] == "00" and not int(f[8], 16) & RTF_REJECT:
            found.append(f"v6 {f[9]}")
    return found


def nameservers(resolv_conf: str) -> list[str]:
    """Nameserver addresses listed in resolv.conf text."""
    return [w[1].split("%")[0] for w in (line.split() for line in resolv_conf.splitlines())
            if len(w) >= 2 and w[0] == "nameserver"]


def routable(address: str) -> bool:
    """Whether the kernel has a route to `address`. A UDP connect only looks the route up;
    no packet is sent."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        try:
            s.connect((address, 53))
            return True
        except OSError:
            return False


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return ""


def probe(port: int) -> dict:
    """Everything the sandbox can see of the network, as a JSON-able dict."""
    report = {}
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        report["host_loopback"] = "connected"
    except OSError as exc:
        report["host_loopback"] = f"blocked ({type(exc).__name__})"
    try:
        sys_names = os.listdir("/sys/class/net")
    except OSError:
        sys_names = None  # no sysfs in the sandbox (bwrap): /proc/net/dev still answers
    report["interfaces"] = interfaces(_read("/proc/net/dev"), sys_names)
    report["default_routes"] = default_routes(_read("/proc/net/route"), _read("/proc/net/ipv6_route"))
    if report["interfaces"] != ["lo"] or report["default_routes"]:
        # A way out exists: touching the resolver could send a query off the machine.
        report["routable_nameservers"] = []
        report["dns"] = "not tried: the sandbox has a way out"
        return report
    # A loopback resolver inside a namespace of our own leads nowhere; only others count.
    report["routable_nameservers"] = [ns for ns in nameservers(_read("/etc/resolv.conf"))
                                      if not _is_loopback(ns) and routable(ns)]
    try:
        socket.getaddrinfo(INVALID_NAME, 443)
        report["dns"] = "resolved"
    except OSError as exc:
        report["dns"] = f"failed ({type(exc).__name__})"
    return report


if __name__ == "__main__":
    print(json.dumps(probe(int(sys.argv[1]))))
