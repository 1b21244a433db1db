"""Sends one UDP datagram through a SOCKS5 proxy and prints the reply.

Usage: python3 udp_via_socks5.py [PROXY_PORT] [TARGET_HOST] [TARGET_PORT] [MESSAGE]
Defaults: socks-proxy on 127.0.0.1:1080, udp-server on 127.0.0.1:8001.
Needs PySocks: python3 -m pip install PySocks
"""
import socket
import sys

import socks  # PySocks

proxy_port = int(sys.argv[1]) if len(sys.argv) > 1 else 1080
target = (sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1",
          int(sys.argv[3]) if len(sys.argv) > 3 else 8001)
message = sys.argv[4] if len(sys.argv) > 4 else "hello over udp"

# ANCHOR: client
udp = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
# rdns=True: a host name is sent to the proxy, which resolves it (ATYP 3).
udp.set_proxy(socks.SOCKS5, "127.0.0.1", proxy_port, rdns=True)
udp.settimeout(5)
# The first send opens a TCP connection to the proxy and asks for UDP ASSOCIATE; the
# datagram then goes to the relay address from the reply, behind a SOCKS5 UDP header.
udp.sendto(message.encode(), target)
reply, source = udp.recvfrom(65535)
print(f"reply from {source[0]}:{source[1]}: {reply.decode(errors='replace')}")
# Closing the socket closes the TCP connection too, and that ends the association.
udp.close()
# ANCHOR_END: client
