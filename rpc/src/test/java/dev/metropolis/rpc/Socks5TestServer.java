package dev.metropolis.rpc;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A minimal SOCKS5 server for tests (RFC 1928): no authentication, CONNECT only, blocking sockets
 * with two relay threads per connection. Records the destinations it was asked for.
 */
final class Socks5TestServer implements AutoCloseable {
  private final ServerSocket listener;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  final List<InetSocketAddress> destinations = new CopyOnWriteArrayList<>();

  Socks5TestServer() throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("socks-accept").start(this::acceptLoop);
  }

  int port() {
    return listener.getLocalPort();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        open.add(client);
        Thread.ofVirtual().name("socks-conn").start(() -> serve(client));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket client) {
    try {
      DataInputStream in = new DataInputStream(client.getInputStream());
      OutputStream out = client.getOutputStream();
      // Greeting: VER NMETHODS METHODS...
      if (in.readUnsignedByte() != 5) {
        client.close();
        return;
      }
      byte[] methods = new byte[in.readUnsignedByte()];
      in.readFully(methods);
      boolean noAuth = false;
      for (byte m : methods) {
        noAuth |= m == 0;
      }
      if (!noAuth) {
        out.write(new byte[] {5, (byte) 0xff});
        client.close();
        return;
      }
      out.write(new byte[] {5, 0});
      // Request: VER CMD RSV ATYP DST.ADDR DST.PORT
      int ver = in.readUnsignedByte();
      int cmd = in.readUnsignedByte();
      in.readUnsignedByte();
      int atyp = in.readUnsignedByte();
      InetAddress addr;
      String host;
      switch (atyp) {
        case 1 -> {
          byte[] a = new byte[4];
          in.readFully(a);
          addr = InetAddress.getByAddress(a);
          host = addr.getHostAddress();
        }
        case 4 -> {
          byte[] a = new byte[16];
          in.readFully(a);
          addr = InetAddress.getByAddress(a);
          host = addr.getHostAddress();
        }
        case 3 -> {
          byte[] name = new byte[in.readUnsignedByte()];
          in.readFully(name);
          host = new String(name, StandardCharsets.US_ASCII);
          addr = null;
        }
        default -> {
          client.close();
          return;
        }
      }
      int port = in.readUnsignedShort();
      if (ver != 5 || cmd != 1) {
        out.write(new byte[] {5, 7, 0, 1, 0, 0, 0, 0, 0, 0}); // command not supported
        client.close();
        return;
      }
      InetSocketAddress dest =
          addr != null ? new InetSocketAddress(addr, port) : new InetSocketAddress(host, port);
      destinations.add(dest);
      Socket upstream = new Socket();
      open.add(upstream);
      try {
        upstream.connect(dest, 5000);
      } catch (IOException e) {
        out.write(new byte[] {5, 5, 0, 1, 0, 0, 0, 0, 0, 0}); // connection refused
        client.close();
        return;
      }
      out.write(new byte[] {5, 0, 0, 1, 0, 0, 0, 0, 0, 0});
      out.flush();
      Thread.ofVirtual().start(() -> relay(upstream, client));
      relay(client, upstream);
    } catch (IOException e) {
      closeQuietly(client);
    }
  }

  private static void relay(Socket from, Socket to) {
    byte[] buf = new byte[16384];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(buf)) >= 0; ) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // Either side went away.
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Nothing to do.
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : open) {
      closeQuietly(s);
    }
  }
}
