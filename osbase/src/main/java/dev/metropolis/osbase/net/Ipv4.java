package dev.metropolis.osbase.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** IPv4 addresses as 32-bit integers, for arithmetic and wire formats. */
public final class Ipv4 {
  public static final Inet4Address ANY = of(0);
  public static final Inet4Address BROADCAST = of(0xffffffff);

  private Ipv4() {}

  public static int toInt(Inet4Address a) {
    byte[] b = a.getAddress();
    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }

  public static Inet4Address of(int v) {
    return of(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
  }

  public static Inet4Address of(byte[] octets) {
    try {
      return (Inet4Address) InetAddress.getByAddress(octets);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("an IPv4 address has 4 octets, not " + octets.length, e);
    }
  }

  /**
   * Parses a dotted quad without any name lookup.
   *
   * @throws IllegalArgumentException when {@code text} is not exactly {@code a.b.c.d}
   */
  public static Inet4Address parse(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("not an IPv4 address (a.b.c.d): \"" + text + "\"");
    }
    byte[] octets = new byte[4];
    for (int i = 0; i < 4; i++) {
      int v;
      try {
        if (parts[i].isEmpty()
            || parts[i].length() > 3
            || !parts[i].chars().allMatch(Character::isDigit)) {
          throw new NumberFormatException();
        }
        v = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not an IPv4 address (a.b.c.d): \"" + text + "\"", e);
      }
      if (v > 255) {
        throw new IllegalArgumentException("not an IPv4 address (a.b.c.d): \"" + text + "\"");
      }
      octets[i] = (byte) v;
    }
    return of(octets);
  }

  /** The netmask of a prefix length, e.g. 24 → 255.255.255.0. */
  public static int mask(int prefixLength) {
    if (prefixLength < 0 || prefixLength > 32) {
      throw new IllegalArgumentException("prefix length must be 0..32, not " + prefixLength);
    }
    return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
  }

  /**
   * The prefix length of a netmask, e.g. 255.255.255.0 → 24.
   *
   * @throws IllegalArgumentException when the mask's ones are not contiguous
   */
  public static int prefixLength(Inet4Address mask) {
    int m = toInt(mask);
    int len = Integer.bitCount(m);
    if (mask(len) != m) {
      throw new IllegalArgumentException("not a contiguous netmask: " + mask.getHostAddress());
    }
    return len;
  }
}
