package dev.metropolis.osbase.net;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An IPv4 address with a prefix length, as written {@code 10.1.0.1/24}: an interface address and
 * the network it is on.
 *
 * @param address the address (host bits may be set)
 * @param length the prefix length, 0..32
 */
public record Ipv4Prefix(Inet4Address address, int length) {
  public Ipv4Prefix {
    Ipv4.mask(length); // validates
  }

  /** Parses {@code a.b.c.d/len}. */
  public static Ipv4Prefix parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("not an IPv4 prefix (a.b.c.d/len): \"" + text + "\"");
    }
    int len;
    try {
      len = Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not an IPv4 prefix (a.b.c.d/len): \"" + text + "\"", e);
    }
    if (len < 0 || len > 32) {
      throw new IllegalArgumentException(
          "prefix length must be 0..32 in \"" + text + "\", not " + len);
    }
    return new Ipv4Prefix(Ipv4.parse(text.substring(0, slash)), len);
  }

  public Inet4Address mask() {
    return Ipv4.of(Ipv4.mask(length));
  }

  /** The network address (host bits zero). */
  public Inet4Address network() {
    return Ipv4.of(Ipv4.toInt(address) & Ipv4.mask(length));
  }

  /** The directed broadcast address (host bits one). */
  public Inet4Address broadcast() {
    return Ipv4.of(Ipv4.toInt(address) | ~Ipv4.mask(length));
  }

  /** Whether {@code a} is an IPv4 address inside this prefix's network. */
  public boolean contains(InetAddress a) {
    return a instanceof Inet4Address v4
        && ((Ipv4.toInt(v4) ^ Ipv4.toInt(address)) & Ipv4.mask(length)) == 0;
  }

  /**
   * Whether {@code a} is a host address of this network: inside it, and neither the network nor the
   * broadcast address (for prefixes up to /30, where those two exist).
   */
  public boolean containsHost(InetAddress a) {
    if (!contains(a)) {
      return false;
    }
    if (length >= 31) {
      return true;
    }
    return !a.equals(network()) && !a.equals(broadcast());
  }

  @Override
  public String toString() {
    return address.getHostAddress() + "/" + length;
  }
}
