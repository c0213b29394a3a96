package dev.metropolis.osbase.net.socks;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A SOCKS5 proxy (RFC 1928) for reaching a test network from the host: no authentication, CONNECT
 * only, IPv4 or domain-name destinations (names are resolved here), and only destinations the
 * {@code allowed} predicate accepts. Replies: 0x07 for any other command, 0x08 for IPv6 or unknown
 * address types, 0x03 (network unreachable) for a destination the policy refuses, and 0x05, 0x04 or
 * 0x01 when connecting fails. A client speaking another version, or offering no acceptable method,
 * is disconnected (after {@code 05 FF} in the latter case, as the RFC says).
 *
 * <p>Every connection is one virtual thread for the handshake and client-to-destination copying,
 * plus one for the other direction. Each direction ends with a half-close of the far side, so
 * protocols that shut down their write side first still get their answer; the connection is closed
 * once both directions ended, or at once when either fails. Events are reported before the reply
 * goes out, so a log line is there by the time the client sees a refusal. {@link #close} closes the
 * listener and every open connection and waits for all threads.
 */
public final class Socks5Server implements AutoCloseable {
  public static final int REPLY_SUCCEEDED = 0x00;
  public static final int REPLY_GENERAL_FAILURE = 0x01;
  public static final int REPLY_NETWORK_UNREACHABLE = 0x03;
  public static final int REPLY_HOST_UNREACHABLE = 0x04;
  public static final int REPLY_CONNECTION_REFUSED = 0x05;
  public static final int REPLY_COMMAND_NOT_SUPPORTED = 0x07;
  public static final int REPLY_ADDRESS_TYPE_NOT_SUPPORTED = 0x08;

  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration LINGER = Duration.ofMillis(500);
  static final Duration CLOSE_BOUND = Duration.ofSeconds(15);
  private static final int VERSION = 5;
  private static final int CMD_CONNECT = 1;
  private static final int ATYP_IPV4 = 1;
  private static final int ATYP_DOMAIN = 3;
  private static final int ATYP_IPV6 = 4;

  /** What happened to one proxied connection. */
  public sealed interface Event {
    /** The client's destination is outside what the proxy may reach. */
    record Refused(SocketAddress client, String destination, String reason) implements Event {
      @Override
      public String toString() {
        return "refused " + destination + " for " + client + ": " + reason;
      }
    }

    /** Connecting to an allowed destination failed; {@code reply} went back to the client. */
    record ConnectFailed(SocketAddress client, String destination, int reply, String reason)
        implements Event {
      @Override
      public String toString() {
        return "cannot connect " + client + " to " + destination + ": " + reason;
      }
    }

    /** The client broke the protocol or asked for something unsupported. */
    record ProtocolError(SocketAddress client, String reason) implements Event {
      @Override
      public String toString() {
        return "protocol error from " + client + ": " + reason;
      }
    }

    /** A connection to {@code destination} was established. */
    record Connected(SocketAddress client, String destination) implements Event {
      @Override
      public String toString() {
        return "connected " + client + " to " + destination;
      }
    }
  }

  private final ServerSocketChannel listener;
  private final Predicate<InetAddress> allowed;
  private final Dialer dialer;
  private final Consumer<Event> events;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile boolean closed;

  private Socks5Server(
      ServerSocketChannel listener,
      Predicate<InetAddress> allowed,
      Dialer dialer,
      Consumer<Event> events) {
    this.listener = listener;
    this.allowed = allowed;
    this.dialer = dialer;
    this.events = events;
    this.acceptor = Thread.ofVirtual().name("socks5 accept").unstarted(this::acceptLoop);
  }

  /**
   * Listens on {@code listen} (port 0 picks a free one, see {@link #localAddress}).
   *
   * @param allowed which resolved destinations may be connected to
   * @param dialer opens the outbound connections (e.g. inside another network namespace)
   * @param events told about refusals and failures; called from connection threads
   */
  public static Socks5Server start(
      InetSocketAddress listen,
      Predicate<InetAddress> allowed,
      Dialer dialer,
      Consumer<Event> events)
      throws IOException {
    ServerSocketChannel ch = ServerSocketChannel.open();
    try {
      ch.bind(listen);
    } catch (IOException e) {
      ch.close();
      throw new IOException("cannot listen on " + listen + ": " + e.getMessage(), e);
    }
    Socks5Server s =
        new Socks5Server(
            ch, Objects.requireNonNull(allowed), Objects.requireNonNull(dialer), events);
    s.acceptor.start();
    return s;
  }

  /** The bound listening address. */
  public InetSocketAddress localAddress() {
    try {
      return (InetSocketAddress) listener.getLocalAddress();
    } catch (IOException e) {
      throw new IllegalStateException("listener closed", e);
    }
  }

  /** Connections (client or destination sockets) currently open; for tests and metrics. */
  public int openSockets() {
    return open.size();
  }

  /** Connection threads still running. */
  public int activeThreads() {
    return threads.size();
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel client;
      try {
        client = listener.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue; // e.g. out of descriptors: keep serving the connections that work
      }
      open.add(client);
      if (!spawn("socks5 " + remote(client), () -> handle(client))) {
        closeQuietly(client);
      }
    }
  }

  /** Starts a tracked thread; false (and nothing started) once the server is closing. */
  private boolean spawn(String name, Runnable body) {
    Thread t =
        Thread.ofVirtual()
            .name(name)
            .unstarted(() -> {
              try {
                body.run();
              } finally {
                threads.remove(Thread.currentThread());
              }
            });
    threads.add(t);
    if (closed) {
      threads.remove(t);
      return false;
    }
    t.start();
    return true;
  }

  private static String remote(SocketChannel ch) {
    try {
      return String.valueOf(ch.getRemoteAddress());
    } catch (IOException e) {
      return "?";
    }
  }

  private void handle(SocketChannel client) {
    SocketAddress from;
    try {
      from = client.getRemoteAddress();
    } catch (IOException e) {
      closeQuietly(client);
      return;
    }
    Optional<SocketChannel> target = Optional.empty();
    try {
      target = handshake(client, from);
    } catch (IOException e) {
      if (!closed) { // when closing, every handshake in flight fails: that is not news
        events.accept(new Event.ProtocolError(from, describe(e)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (target.isEmpty()) {
        lingeringClose(client);
      }
    }
    target.ifPresent(t -> relay(client, t));
  }

  private static String describe(IOException e) {
    if (e instanceof SocketTimeoutException) {
      return "no complete request within " + HANDSHAKE_TIMEOUT.toSeconds() + " s";
    }
    if (e instanceof EOFException) {
      return "closed during the handshake";
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  /** Runs the handshake; returns the connected destination, or empty when refused. */
  private Optional<SocketChannel> handshake(SocketChannel client, SocketAddress from)
      throws IOException, InterruptedException {
    client.socket().setSoTimeout((int) HANDSHAKE_TIMEOUT.toMillis());
    InputStream in = client.socket().getInputStream();
    int version = readByte(in);
    if (version != VERSION) {
      events.accept(new Event.ProtocolError(from, "SOCKS version " + version + ", not 5"));
      return Optional.empty();
    }
    byte[] methods = readN(in, readByte(in));
    boolean noAuth = false;
    for (byte m : methods) {
      noAuth |= m == 0;
    }
    if (!noAuth) {
      events.accept(
          new Event.ProtocolError(
              from, "no acceptable method (offered " + Arrays.toString(methods) + ", need 0)"));
      write(client, new byte[] {VERSION, (byte) 0xff});
      return Optional.empty();
    }
    write(client, new byte[] {VERSION, 0});

    int v2 = readByte(in);
    int cmd = readByte(in);
    readByte(in); // RSV
    int atyp = readByte(in);
    if (v2 != VERSION) {
      events.accept(new Event.ProtocolError(from, "request version " + v2 + ", not 5"));
      return Optional.empty();
    }
    InetAddress address;
    String name;
    switch (atyp) {
      case ATYP_IPV4 -> {
        address = InetAddress.getByAddress(readN(in, 4));
        name = address.getHostAddress();
      }
      case ATYP_DOMAIN -> {
        name = new String(readN(in, readByte(in)), StandardCharsets.US_ASCII);
        address = null;
      }
      case ATYP_IPV6 -> {
        readN(in, 16 + 2);
        return refuseProtocol(client, from, REPLY_ADDRESS_TYPE_NOT_SUPPORTED, "IPv6 destination");
      }
      default -> {
        return refuseProtocol(
            client, from, REPLY_ADDRESS_TYPE_NOT_SUPPORTED, "unknown address type " + atyp);
      }
    }
    int port = (readByte(in) << 8) | readByte(in);
    String destination = name + ":" + port;
    if (cmd != CMD_CONNECT) {
      return refuseProtocol(
          client,
          from,
          REPLY_COMMAND_NOT_SUPPORTED,
          "command " + cmd + " for " + destination + " (only CONNECT, 1, is supported)");
    }
    if (address == null) {
      try {
        address = resolve(name);
      } catch (UnknownHostException e) {
        events.accept(
            new Event.ConnectFailed(
                from, destination, REPLY_HOST_UNREACHABLE, "cannot resolve " + name));
        reply(client, REPLY_HOST_UNREACHABLE, Optional.empty());
        return Optional.empty();
      }
      destination = name + " (" + address.getHostAddress() + "):" + port;
    }
    if (!allowed.test(address)) {
      events.accept(new Event.Refused(from, destination, "destination not allowed"));
      reply(client, REPLY_NETWORK_UNREACHABLE, Optional.empty());
      return Optional.empty();
    }
    SocketChannel target;
    try {
      target = dialer.connect(new InetSocketAddress(address, port), CONNECT_TIMEOUT);
    } catch (IOException e) {
      int code = replyFor(e);
      events.accept(
          new Event.ConnectFailed(from, destination, code, String.valueOf(e.getMessage())));
      reply(client, code, Optional.empty());
      return Optional.empty();
    }
    open.add(target);
    try {
      if (closed) {
        throw new ClosedChannelException();
      }
      reply(client, REPLY_SUCCEEDED, Optional.of((InetSocketAddress) target.getLocalAddress()));
      client.socket().setSoTimeout(0);
    } catch (IOException e) {
      closeQuietly(target);
      throw e;
    }
    events.accept(new Event.Connected(from, destination));
    return Optional.of(target);
  }

  private static InetAddress resolve(String name) throws UnknownHostException {
    for (InetAddress a : InetAddress.getAllByName(name)) {
      if (a instanceof Inet4Address) {
        return a;
      }
    }
    throw new UnknownHostException(name + " has no IPv4 address");
  }

  private Optional<SocketChannel> refuseProtocol(
      SocketChannel client, SocketAddress from, int code, String why) throws IOException {
    events.accept(new Event.ProtocolError(from, why));
    reply(client, code, Optional.empty());
    return Optional.empty();
  }

  private static int replyFor(IOException e) {
    if (e instanceof ConnectException) {
      // The JDK reports ENETUNREACH as a ConnectException too; only a refusal is 0x05.
      String m = String.valueOf(e.getMessage());
      if (m.contains("Network is unreachable")) {
        return REPLY_NETWORK_UNREACHABLE;
      }
      if (m.contains("No route to host") || m.contains("Host is unreachable")) {
        return REPLY_HOST_UNREACHABLE;
      }
      return REPLY_CONNECTION_REFUSED;
    }
    if (e instanceof NoRouteToHostException || e instanceof SocketTimeoutException) {
      return REPLY_HOST_UNREACHABLE;
    }
    return REPLY_GENERAL_FAILURE;
  }

  private static void reply(SocketChannel client, int code, Optional<InetSocketAddress> bound)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(10);
    b.put((byte) VERSION).put((byte) code).put((byte) 0).put((byte) ATYP_IPV4);
    if (bound.isPresent() && bound.get().getAddress() instanceof Inet4Address a) {
      b.put(a.getAddress()).putShort((short) bound.get().getPort());
    } else {
      b.put(new byte[6]);
    }
    write(client, b.array());
  }

  private static void write(SocketChannel ch, byte[] data) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(data);
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static int readByte(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException();
    }
    return b;
  }

  private static byte[] readN(InputStream in, int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new EOFException();
    }
    return b;
  }

  private void relay(SocketChannel client, SocketChannel target) {
    // A relay must pass each write on at once. With Nagle's algorithm on, a small write that
    // follows one not yet acknowledged waits for the peer's delayed ACK (40 ms on Linux), and a
    // TLS handshake or a short RPC pays that several times over.
    try {
      client.setOption(StandardSocketOptions.TCP_NODELAY, true);
      target.setOption(StandardSocketOptions.TCP_NODELAY, true);
    } catch (IOException e) {
      closeQuietly(client);
      closeQuietly(target);
      return;
    }
    // Both directions must end before the sockets close; a failure in either ends both.
    CountDownLatch done = new CountDownLatch(2);
    Runnable down =
        () -> {
          try {
            copy(target, client);
          } finally {
            done.countDown();
          }
        };
    if (!spawn("socks5 relay " + remote(client), down)) {
      closeQuietly(client);
      closeQuietly(target);
      return;
    }
    try {
      copy(client, target);
    } finally {
      done.countDown();
    }
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeQuietly(client);
      closeQuietly(target);
    }
  }

  /** Copies until EOF, then half-closes {@code to}; on any error closes both. */
  private void copy(SocketChannel from, SocketChannel to) {
    ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
    try {
      while (from.read(buf) >= 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          to.write(buf);
        }
        buf.clear();
      }
      to.shutdownOutput();
    } catch (IOException e) {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  /**
   * Closes after a refusal without losing the reply: closing a socket with unread input (bytes the
   * client sent after a request we did not parse) makes the kernel send a reset, which can destroy
   * the reply before the client reads it. So: half-close, discard briefly, then close.
   */
  private void lingeringClose(SocketChannel ch) {
    try {
      ch.shutdownOutput();
      ch.socket().setSoTimeout((int) LINGER.toMillis());
      InputStream in = ch.socket().getInputStream();
      byte[] sink = new byte[4096];
      long end = System.nanoTime() + LINGER.toNanos();
      while (System.nanoTime() < end && in.read(sink) >= 0) {
        // discard
      }
    } catch (IOException e) {
      // Closing anyway.
    } finally {
      closeQuietly(ch);
    }
  }

  private void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // Nothing left to do with it.
    } finally {
      open.remove(ch);
    }
  }

  /**
   * Stops listening, closes every connection and waits for their threads, for at most {@link
   * #CLOSE_BOUND}: a thread stuck in a native name lookup cannot be interrupted, and a virtual
   * thread left behind does not keep the process alive.
   */
  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
    boolean interrupted = false;
    long deadline = System.nanoTime() + CLOSE_BOUND.toNanos();
    while (System.nanoTime() - deadline < 0) {
      for (SocketChannel ch : open) {
        closeQuietly(ch);
      }
      // Interrupting a thread blocked in a channel operation (a connect not yet tracked in
      // open, a resolver call) closes that channel and ends the wait.
      threads.forEach(Thread::interrupt);
      try {
        acceptor.join();
        for (Thread t : threads) {
          t.join(Duration.ofSeconds(1));
        }
      } catch (InterruptedException e) {
        interrupted = true;
        continue;
      }
      if (threads.isEmpty() && open.isEmpty()) {
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
