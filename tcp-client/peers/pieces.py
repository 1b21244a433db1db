# A server that sends its replies in pieces, one second apart, as TCP is free to deliver
# them. Run: python pieces.py   (then a client on 127.0.0.1:8000; it serves one client)
import socket
import time

conn, _ = socket.create_server(("127.0.0.1", 8000)).accept()
try:
    for piece in [b"HEL", b"LO\nWOR", b"LD\n"]:
        time.sleep(1)
        conn.sendall(piece)
    conn.shutdown(socket.SHUT_WR)  # FIN: no more replies
    while conn.recv(1024):  # read what the client sent, until its FIN
        pass
except OSError as error:
    print("the client left early:", error)
