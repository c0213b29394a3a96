package dev.metropolis.osbase.net.dhcp;

import dev.metropolis.osbase.net.Ipv4;
import dev.metropolis.osbase.net.MacAddress;
import dev.metropolis.osbase.net.MalformedPacketException;
import java.net.Inet4Address;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A DHCPv4 message (RFC 2131 §2, options RFC 2132) on Ethernet: the fixed BOOTP header, the message
 * type, and the other options. {@code sname}, {@code file} and option overloading are not used:
 * they are sent zero and ignored when received.
 *
 * @param type the DHCP message type (option 53); it decides BOOTREQUEST or BOOTREPLY
 * @param xid the transaction ID chosen by the client
 * @param secs seconds since the client began acquiring
 * @param broadcast the BROADCAST flag: the client cannot receive unicast before it has an address
 * @param clientAddress {@code ciaddr}: the client's current address when renewing, else 0.0.0.0
 * @param yourAddress {@code yiaddr}: the address offered or assigned
 * @param serverAddress {@code siaddr}: the next server (boot), usually 0.0.0.0
 * @param relayAddress {@code giaddr}: the relay agent, 0.0.0.0 without one
 * @param clientHardwareAddress {@code chaddr}: the client's MAC address
 * @param options every option but the message type and PAD/END
 */
public record DhcpMessage(
    MessageType type,
    int xid,
    int secs,
    boolean broadcast,
    Inet4Address clientAddress,
    Inet4Address yourAddress,
    Inet4Address serverAddress,
    Inet4Address relayAddress,
    MacAddress clientHardwareAddress,
    DhcpOptions options) {
  public static final int SERVER_PORT = 67;
  public static final int CLIENT_PORT = 68;

  /** The fixed header plus the magic cookie. */
  static final int FIXED = 236;

  /** The smallest message BOOTP relays and old clients accept; shorter ones are padded. */
  static final int MIN_SIZE = 300;

  private static final int COOKIE = 0x63825363;
  private static final int OP_REQUEST = 1;
  private static final int OP_REPLY = 2;
  private static final int BROADCAST_FLAG = 0x8000;

  public DhcpMessage {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(clientAddress, "clientAddress");
    Objects.requireNonNull(yourAddress, "yourAddress");
    Objects.requireNonNull(serverAddress, "serverAddress");
    Objects.requireNonNull(relayAddress, "relayAddress");
    Objects.requireNonNull(clientHardwareAddress, "clientHardwareAddress");
    Objects.requireNonNull(options, "options");
    if (secs < 0 || secs > 0xffff) {
      throw new IllegalArgumentException("secs out of range: " + secs);
    }
  }

  /** A client message with every address field zero. */
  public static DhcpMessage request(
      MessageType type, int xid, MacAddress chaddr, boolean broadcast, DhcpOptions options) {
    return new DhcpMessage(
        type, xid, 0, broadcast, Ipv4.ANY, Ipv4.ANY, Ipv4.ANY, Ipv4.ANY, chaddr, options);
  }

  /** Encodes the message, padded to at least {@value #MIN_SIZE} bytes. */
  public byte[] encode() {
    int optionBytes = 3 + 1; // message type, END
    for (byte[] v : options.entries().values()) {
      optionBytes += v.length + 2 * Math.max(1, (v.length + 254) / 255);
    }
    ByteBuffer b = ByteBuffer.allocate(Math.max(MIN_SIZE, FIXED + 4 + optionBytes));
    b.put((byte) (type.fromClient() ? OP_REQUEST : OP_REPLY));
    b.put((byte) 1); // htype: Ethernet
    b.put((byte) 6); // hlen
    b.put((byte) 0); // hops
    b.putInt(xid);
    b.putShort((short) secs);
    b.putShort((short) (broadcast ? BROADCAST_FLAG : 0));
    b.put(clientAddress.getAddress());
    b.put(yourAddress.getAddress());
    b.put(serverAddress.getAddress());
    b.put(relayAddress.getAddress());
    b.put(Arrays.copyOf(clientHardwareAddress.toBytes(), 16));
    b.position(FIXED); // sname (64) and file (128) stay zero
    b.putInt(COOKIE);
    b.put((byte) DhcpOptions.MESSAGE_TYPE).put((byte) 1).put((byte) type.code());
    for (Map.Entry<Integer, byte[]> e : options.entries().entrySet()) {
      byte[] v = e.getValue();
      // RFC 3396: a value over 255 bytes goes out as consecutive instances of the option.
      int off = 0;
      do {
        int n = Math.min(255, v.length - off);
        b.put((byte) (int) e.getKey()).put((byte) n).put(v, off, n);
        off += n;
      } while (off < v.length);
    }
    b.put((byte) DhcpOptions.END);
    return b.array();
  }

  /**
   * Decodes a DHCP message from the UDP payload {@code data} (position to limit).
   *
   * @throws MalformedPacketException when it is not a well-formed DHCP message over Ethernet; the
   *     message says which field is wrong
   */
  public static DhcpMessage decode(ByteBuffer data) throws MalformedPacketException {
    ByteBuffer b = data.duplicate();
    if (b.remaining() < FIXED + 4) {
      throw new MalformedPacketException(
          "DHCP message of "
              + b.remaining()
              + " bytes: shorter than the "
              + (FIXED + 4)
              + "-byte header");
    }
    try {
      int op = b.get() & 0xff;
      if (op != OP_REQUEST && op != OP_REPLY) {
        throw new MalformedPacketException("op " + op + ": must be 1 (request) or 2 (reply)");
      }
      int htype = b.get() & 0xff;
      int hlen = b.get() & 0xff;
      if (htype != 1 || hlen != 6) {
        throw new MalformedPacketException(
            "hardware type " + htype + " length " + hlen + ": only Ethernet (1, 6) is supported");
      }
      b.get(); // hops
      int xid = b.getInt();
      int secs = b.getShort() & 0xffff;
      boolean broadcast = (b.getShort() & BROADCAST_FLAG) != 0;
      Inet4Address ciaddr = address(b);
      Inet4Address yiaddr = address(b);
      Inet4Address siaddr = address(b);
      Inet4Address giaddr = address(b);
      byte[] mac = new byte[6];
      b.get(mac);
      b.position(b.position() + 10 + 64 + 128); // rest of chaddr, sname, file
      int cookie = b.getInt();
      if (cookie != COOKIE) {
        throw new MalformedPacketException(
            String.format("magic cookie 0x%08x: not a DHCP message (0x63825363)", cookie));
      }
      DhcpOptions.Builder options = DhcpOptions.builder();
      Integer typeCode = null;
      boolean ended = false;
      while (b.hasRemaining()) {
        int code = b.get() & 0xff;
        if (code == DhcpOptions.PAD) {
          continue;
        }
        if (code == DhcpOptions.END) {
          ended = true;
          break;
        }
        if (!b.hasRemaining()) {
          throw new MalformedPacketException("option " + code + ": no length byte");
        }
        int len = b.get() & 0xff;
        if (len > b.remaining()) {
          throw new MalformedPacketException(
              "option "
                  + code
                  + ": length "
                  + len
                  + " runs past the end ("
                  + b.remaining()
                  + " bytes left)");
        }
        byte[] v = new byte[len];
        b.get(v);
        if (code == DhcpOptions.MESSAGE_TYPE) {
          if (len != 1 || (typeCode != null && typeCode != (v[0] & 0xff))) {
            throw new MalformedPacketException("option 53 (message type): must be one byte, once");
          }
          typeCode = v[0] & 0xff;
        } else {
          options.append(code, v);
        }
      }
      if (!ended) {
        throw new MalformedPacketException("options: no END (255) option");
      }
      if (typeCode == null) {
        throw new MalformedPacketException(
            "no message type (option 53): a BOOTP message, not DHCP");
      }
      int t = typeCode;
      MessageType type =
          MessageType.of(t)
              .orElseThrow(
                  () -> new MalformedPacketException("option 53: unknown message type " + t));
      if (type.fromClient() != (op == OP_REQUEST)) {
        throw new MalformedPacketException(
            "message type " + type + " in a " + (op == OP_REQUEST ? "BOOTREQUEST" : "BOOTREPLY"));
      }
      DhcpOptions built = options.buildValidated();
      return new DhcpMessage(
          type, xid, secs, broadcast, ciaddr, yiaddr, siaddr, giaddr, MacAddress.of(mac), built);
    } catch (BufferUnderflowException e) {
      throw new MalformedPacketException("DHCP message truncated");
    }
  }

  private static Inet4Address address(ByteBuffer b) {
    byte[] a = new byte[4];
    b.get(a);
    return Ipv4.of(a);
  }
}
