package dev.metropolis.osbase.net;

import java.util.HexFormat;
import java.util.Locale;

/**
 * An Ethernet (EUI-48) address, held in the low 48 bits of a long so that it is a plain value.
 *
 * @param bits the address, most significant octet first
 */
public record MacAddress(long bits) {
  public static final MacAddress BROADCAST = new MacAddress(0xffff_ffff_ffffL);

  public MacAddress {
    if ((bits & ~0xffff_ffff_ffffL) != 0) {
      throw new IllegalArgumentException("a MAC address has 48 bits: " + Long.toHexString(bits));
    }
  }

  /** From 6 octets. */
  public static MacAddress of(byte[] octets) {
    if (octets.length != 6) {
      throw new IllegalArgumentException("a MAC address has 6 octets, not " + octets.length);
    }
    long v = 0;
    for (byte b : octets) {
      v = (v << 8) | (b & 0xff);
    }
    return new MacAddress(v);
  }

  /** From {@code aa:bb:cc:dd:ee:ff} (case-insensitive). */
  public static MacAddress parse(String text) {
    String[] parts = text.split(":", -1);
    if (parts.length != 6) {
      throw new IllegalArgumentException("not a MAC address (aa:bb:cc:dd:ee:ff): \"" + text + "\"");
    }
    byte[] octets = new byte[6];
    for (int i = 0; i < 6; i++) {
      if (parts[i].length() != 2) {
        throw new IllegalArgumentException(
            "not a MAC address (aa:bb:cc:dd:ee:ff): \"" + text + "\"");
      }
      try {
        octets[i] = (byte) Integer.parseInt(parts[i], 16);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "not a MAC address (aa:bb:cc:dd:ee:ff): \"" + text + "\"", e);
      }
    }
    return of(octets);
  }

  public byte[] toBytes() {
    byte[] out = new byte[6];
    for (int i = 0; i < 6; i++) {
      out[i] = (byte) (bits >>> (8 * (5 - i)));
    }
    return out;
  }

  @Override
  public String toString() {
    return HexFormat.ofDelimiter(":").formatHex(toBytes()).toLowerCase(Locale.ROOT);
  }
}
