# A server that never answers: it listens but never accepts, so the kernel completes each
# handshake and queues the connection, and nobody reads it. Run: python silent.py
import socket
import time

listener = socket.create_server(("127.0.0.1", 8000))
time.sleep(3600)
