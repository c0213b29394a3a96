package dev.metropolis.osbase.net;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.metropolis.osbase.linux.Libc;
import dev.metropolis.osbase.linux.LinuxException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Linux packet socket ({@code AF_PACKET, SOCK_DGRAM, ETH_P_IP}) on one interface: sends and
 * receives whole IPv4 packets below the kernel's IP stack, while the kernel still builds the
 * Ethernet header. This is how a DHCP client talks before its interface has an address: the IP
 * stack has no source address and no route to send from, and (with reverse-path filtering on) would
 * drop the server's reply before any UDP socket saw it; a packet socket needs neither.
 *
 * <p>The socket lives in the network namespace of the thread that calls {@link #open}. Waiting
 * happens in native {@code poll} calls of at most {@link #POLL_SLICE}, which pin a virtual thread's
 * carrier: use it from a platform thread.
 */
public final class PacketSocket implements AutoCloseable {
  static final Duration POLL_SLICE = Duration.ofMillis(100);
  private static final short ETH_P_IP = 0x0800;
  private static final byte PACKET_OUTGOING = 4;
  // struct sockaddr_ll: family u16, protocol be16, ifindex i32, hatype u16, pkttype u8, halen u8,
  // addr[8]
  private static final int SOCKADDR_LL = 20;
  private static final int MAX_PACKET = 65536;

  private final String iface;
  private final int fd;
  private final int ifindex;
  private final MacAddress hardwareAddress;
  private final ReentrantLock lock = new ReentrantLock();
  private boolean closed;

  private PacketSocket(String iface, int fd, int ifindex, MacAddress hardwareAddress) {
    this.iface = iface;
    this.fd = fd;
    this.ifindex = ifindex;
    this.hardwareAddress = hardwareAddress;
  }

  /**
   * Opens a packet socket bound to {@code iface} in the calling thread's network namespace.
   *
   * @throws IOException when the interface does not exist, or without CAP_NET_RAW
   */
  public static PacketSocket open(String iface) throws IOException {
    byte[] name = iface.getBytes(StandardCharsets.US_ASCII);
    if (name.length == 0 || name.length >= Libc.IFNAMSIZ) {
      throw new IllegalArgumentException("invalid interface name \"" + iface + "\"");
    }
    int fd =
        Libc.socket(
            Libc.AF_PACKET,
            Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC,
            Short.toUnsignedInt(Short.reverseBytes(ETH_P_IP)));
    try (Arena arena = Arena.ofConfined()) {
      // The ioctls resolve the name in the socket's namespace, not the calling thread's.
      MemorySegment ifr = arena.allocate(Libc.IFREQ_SIZE);
      MemorySegment.copy(name, 0, ifr, JAVA_BYTE, 0, name.length);
      try {
        Libc.ioctl(fd, Libc.SIOCGIFINDEX, ifr);
      } catch (LinuxException e) {
        throw new IOException("interface " + iface + ": " + e.getMessage(), e);
      }
      int ifindex = ifr.get(JAVA_INT, Libc.IFNAMSIZ);
      Libc.ioctl(fd, Libc.SIOCGIFHWADDR, ifr);
      byte[] mac = new byte[6];
      MemorySegment.copy(ifr, JAVA_BYTE, Libc.IFNAMSIZ + 2, mac, 0, 6);
      MemorySegment sll = sockaddr(arena, ifindex, Optional.empty());
      Libc.bind(fd, sll);
      return new PacketSocket(iface, fd, ifindex, MacAddress.of(mac));
    } catch (IOException | RuntimeException e) {
      try {
        Libc.close(fd);
      } catch (LinuxException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private static MemorySegment sockaddr(Arena arena, int ifindex, Optional<MacAddress> to) {
    MemorySegment sll = arena.allocate(SOCKADDR_LL, 4);
    sll.set(JAVA_SHORT, 0, (short) Libc.AF_PACKET);
    sll.set(JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, ETH_P_IP);
    sll.set(JAVA_INT, 4, ifindex);
    if (to.isPresent()) {
      sll.set(JAVA_BYTE, 11, (byte) 6);
      MemorySegment.copy(to.get().toBytes(), 0, sll, JAVA_BYTE, 12, 6);
    }
    return sll;
  }

  public String interfaceName() {
    return iface;
  }

  public int interfaceIndex() {
    return ifindex;
  }

  /** The interface's own MAC address (the DHCP client hardware address). */
  public MacAddress hardwareAddress() {
    return hardwareAddress;
  }

  /** Sends one IP packet to {@code to} (usually {@link MacAddress#BROADCAST}). */
  public void send(byte[] ipPacket, MacAddress to) throws IOException {
    lock.lock();
    try (Arena arena = Arena.ofConfined()) {
      ensureOpen();
      MemorySegment data = arena.allocate(ipPacket.length);
      MemorySegment.copy(ipPacket, 0, data, JAVA_BYTE, 0, ipPacket.length);
      try {
        Libc.sendto(fd, data, sockaddr(arena, ifindex, Optional.of(to)));
      } catch (LinuxException e) {
        throw new IOException("send on " + iface + ": " + e.getMessage(), e);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits up to {@code timeout} for an IP packet arriving on the interface (this host's own
   * outgoing packets, which a packet socket also sees, are skipped) and returns it.
   *
   * @throws java.io.InterruptedIOException when the thread is interrupted
   * @throws ClosedChannelException when the socket is closed
   */
  public Optional<ByteBuffer> receive(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (Thread.interrupted()) {
        throw new java.io.InterruptedIOException("interrupted while receiving on " + iface);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Optional.empty();
      }
      lock.lock();
      try (Arena arena = Arena.ofConfined()) {
        ensureOpen();
        int slice = (int) Math.max(1, Math.min(POLL_SLICE.toMillis(), left / 1_000_000));
        if (!Libc.pollIn(fd, slice)) {
          continue;
        }
        MemorySegment buf = arena.allocate(MAX_PACKET);
        MemorySegment from = arena.allocate(SOCKADDR_LL, 4);
        long n = Libc.recvfrom(fd, buf, from);
        if (n < 0 || from.get(JAVA_BYTE, 10) == PACKET_OUTGOING) {
          continue;
        }
        return Optional.of(ByteBuffer.wrap(buf.asSlice(0, n).toArray(JAVA_BYTE)));
      } finally {
        lock.unlock();
      }
    }
  }

  private void ensureOpen() throws ClosedChannelException {
    if (closed) {
      throw new ClosedChannelException();
    }
  }

  /** Closes the socket; waits for a receive in progress to finish its current poll slice. */
  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        Libc.close(fd);
      }
    } finally {
      lock.unlock();
    }
  }
}
