package dev.metropolis.osbase.net;

import java.net.Inet4Address;
import java.nio.ByteBuffer;

/**
 * IPv4 + UDP headers, built and parsed by hand for packet sockets, which carry whole IP packets:
 * the DHCP client must send from 0.0.0.0 before its interface has an address.
 *
 * @param source the IP source address
 * @param sourcePort the UDP source port
 * @param destination the IP destination address
 * @param destinationPort the UDP destination port
 * @param payload the UDP payload (read-only)
 */
public record UdpPacket(
    Inet4Address source,
    int sourcePort,
    Inet4Address destination,
    int destinationPort,
    ByteBuffer payload) {
  public static final int IP_HEADER = 20;
  public static final int UDP_HEADER = 8;
  private static final int PROTO_UDP = 17;

  public UdpPacket {
    checkPort(sourcePort);
    checkPort(destinationPort);
    payload = payload.asReadOnlyBuffer();
    if (payload.remaining() > 65535 - IP_HEADER - UDP_HEADER) {
      throw new IllegalArgumentException("UDP payload too large: " + payload.remaining());
    }
  }

  private static void checkPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /** The whole IP packet: a 20-byte IPv4 header (TTL 64, DF clear), UDP header, payload. */
  public byte[] encode() {
    ByteBuffer data = payload.duplicate();
    int udpLength = UDP_HEADER + data.remaining();
    int total = IP_HEADER + udpLength;
    ByteBuffer b = ByteBuffer.allocate(total);
    b.put((byte) 0x45); // version 4, IHL 5
    b.put((byte) 0); // DSCP/ECN
    b.putShort((short) total);
    b.putShort((short) 0); // identification
    b.putShort((short) 0); // flags + fragment offset
    b.put((byte) 64); // TTL
    b.put((byte) PROTO_UDP);
    b.putShort((short) 0); // header checksum, filled below
    b.putInt(Ipv4.toInt(source));
    b.putInt(Ipv4.toInt(destination));
    b.putShort(10, (short) checksum(b.array(), 0, IP_HEADER, 0));
    b.putShort((short) sourcePort);
    b.putShort((short) destinationPort);
    b.putShort((short) udpLength);
    b.putShort((short) 0); // UDP checksum, filled below
    b.put(data);
    int udp = checksum(b.array(), IP_HEADER, udpLength, pseudoHeaderSum(udpLength));
    // 0 means "no checksum" in UDP over IPv4, so a computed 0 is sent as all ones.
    b.putShort(IP_HEADER + 6, (short) (udp == 0 ? 0xffff : udp));
    return b.array();
  }

  private int pseudoHeaderSum(int udpLength) {
    int s = Ipv4.toInt(source);
    int d = Ipv4.toInt(destination);
    return (s >>> 16) + (s & 0xffff) + (d >>> 16) + (d & 0xffff) + PROTO_UDP + udpLength;
  }

  /**
   * Parses an IPv4 packet carrying UDP. The IP header checksum is verified; the UDP checksum is
   * not: a packet crossing a veth pair arrives with its UDP checksum not yet computed (the sender's
   * checksum offload leaves it to hardware that does not exist; observed here: the nanoswitch's
   * OFFER reaches the client's packet socket holding only the pseudo-header sum), which is why DHCP
   * clients reading packet sockets skip that check. IP options are skipped; fragments are rejected.
   *
   * @throws MalformedPacketException when it is not a whole, valid IPv4/UDP packet
   */
  public static UdpPacket decode(ByteBuffer packet) throws MalformedPacketException {
    ByteBuffer b = packet.duplicate();
    int start = b.position();
    int available = b.remaining();
    if (available < IP_HEADER) {
      throw new MalformedPacketException(
          "IPv4 packet of " + available + " bytes: shorter than a header");
    }
    int vihl = b.get(start) & 0xff;
    if (vihl >> 4 != 4) {
      throw new MalformedPacketException("IP version " + (vihl >> 4) + ", expected 4");
    }
    int ihl = (vihl & 0xf) * 4;
    if (ihl < IP_HEADER || ihl > available) {
      throw new MalformedPacketException(
          "IPv4 header length " + ihl + " invalid for " + available + " bytes");
    }
    int total = b.getShort(start + 2) & 0xffff;
    if (total < ihl + UDP_HEADER || total > available) {
      throw new MalformedPacketException(
          "IPv4 total length "
              + total
              + " invalid (header "
              + ihl
              + ", received "
              + available
              + ")");
    }
    int fragment = b.getShort(start + 6) & 0xffff;
    if ((fragment & 0x3fff) != 0) {
      throw new MalformedPacketException("IPv4 fragment: not supported");
    }
    if ((b.get(start + 9) & 0xff) != PROTO_UDP) {
      throw new MalformedPacketException(
          "IP protocol " + (b.get(start + 9) & 0xff) + ", expected UDP (17)");
    }
    byte[] header = new byte[ihl];
    b.get(start, header);
    if (checksum(header, 0, ihl, 0) != 0) {
      throw new MalformedPacketException("IPv4 header checksum mismatch");
    }
    Inet4Address src = Ipv4.of(b.getInt(start + 12));
    Inet4Address dst = Ipv4.of(b.getInt(start + 16));
    int u = start + ihl;
    int srcPort = b.getShort(u) & 0xffff;
    int dstPort = b.getShort(u + 2) & 0xffff;
    int udpLength = b.getShort(u + 4) & 0xffff;
    if (udpLength < UDP_HEADER || udpLength > total - ihl) {
      throw new MalformedPacketException(
          "UDP length "
              + udpLength
              + " invalid for "
              + (total - ihl)
              + " bytes after the IP header");
    }
    ByteBuffer payload = b.slice(u + UDP_HEADER, udpLength - UDP_HEADER);
    return new UdpPacket(src, srcPort, dst, dstPort, payload);
  }

  /** The Internet checksum (RFC 1071) of {@code len} bytes at {@code off}, plus {@code initial}. */
  static int checksum(byte[] data, int off, int len, int initial) {
    long sum = initial & 0xffffffffL;
    int i = off;
    for (; i + 1 < off + len; i += 2) {
      sum += ((data[i] & 0xff) << 8) | (data[i + 1] & 0xff);
    }
    if (i < off + len) {
      sum += (data[i] & 0xff) << 8;
    }
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) (~sum & 0xffff);
  }

  /** Whether the UDP checksum of an encoded packet is valid (for tests and diagnostics). */
  public static boolean udpChecksumValid(byte[] packet) {
    int ihl = (packet[0] & 0xf) * 4;
    int udpLength = ((packet[ihl + 4] & 0xff) << 8) | (packet[ihl + 5] & 0xff);
    ByteBuffer b = ByteBuffer.wrap(packet);
    int s = b.getInt(12);
    int d = b.getInt(16);
    int pseudo = (s >>> 16) + (s & 0xffff) + (d >>> 16) + (d & 0xffff) + PROTO_UDP + udpLength;
    return checksum(packet, ihl, udpLength, pseudo) == 0;
  }
}
