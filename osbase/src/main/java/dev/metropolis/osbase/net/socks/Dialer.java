package dev.metropolis.osbase.net.socks;

import dev.metropolis.osbase.net.NetNs;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/** Opens the proxy's outbound connections; where they come from is the dialer's business. */
@FunctionalInterface
public interface Dialer {
  /**
   * Connects to {@code destination} within {@code timeout}.
   *
   * @throws java.net.ConnectException when the destination refused the connection
   * @throws java.net.NoRouteToHostException when it is unreachable
   * @throws java.net.SocketTimeoutException when it did not answer in time
   */
  SocketChannel connect(InetSocketAddress destination, Duration timeout)
      throws IOException, InterruptedException;

  /**
   * Connects from inside {@code ns}: the socket is created on the namespace's thread and connected
   * from the caller's, so slow connects do not queue behind each other.
   */
  static Dialer in(NetNs ns) {
    return (destination, timeout) -> {
      SocketChannel ch;
      try {
        ch = ns.run(SocketChannel::open);
      } catch (IOException | InterruptedException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException(e);
      }
      try {
        ch.socket().connect(destination, (int) Math.max(1, timeout.toMillis()));
        return ch;
      } catch (IOException | RuntimeException e) {
        try {
          ch.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    };
  }
}
