package dev.metropolis.osbase.pki;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;

/**
 * Reads attribute values out of a DER-encoded X.500 name.
 *
 * <p>A few dozen lines of DER walking, so that looking up a certificate's common name does not load
 * BouncyCastle's name tables (hundreds of milliseconds of class loading on a cold CLI).
 */
final class DistinguishedNames {
  /** DER encoding of OID 2.5.4.3 (commonName), without tag and length. */
  private static final byte[] OID_COMMON_NAME = {0x55, 0x04, 0x03};

  private static final int SEQUENCE = 0x30;
  private static final int SET = 0x31;
  private static final int OID = 0x06;

  private DistinguishedNames() {}

  /** The first common name in {@code name}, if any (empty if the encoding is not understood). */
  static Optional<String> commonName(X500Principal name) {
    try {
      return firstValue(name.getEncoded(), OID_COMMON_NAME);
    } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> firstValue(byte[] der, byte[] oid) {
    Reader name = new Reader(der, 0, der.length).enter(SEQUENCE);
    while (name.hasMore()) {
      Reader rdn = name.enter(SET);
      while (rdn.hasMore()) {
        Reader atv = rdn.enter(SEQUENCE);
        byte[] type = atv.read(OID);
        int tag = atv.peekTag();
        byte[] value = atv.read(tag);
        if (Arrays.equals(type, oid)) {
          return Optional.of(decodeString(tag, value));
        }
      }
    }
    return Optional.empty();
  }

  private static String decodeString(int tag, byte[] value) {
    Charset cs =
        switch (tag) {
          case 0x0c -> StandardCharsets.UTF_8; // UTF8String
          case 0x13, 0x16 -> StandardCharsets.US_ASCII; // PrintableString, IA5String
          case 0x14 -> StandardCharsets.ISO_8859_1; // TeletexString, as everyone reads it
          case 0x1e -> StandardCharsets.UTF_16BE; // BMPString
          case 0x1c -> Charset.forName("UTF-32BE"); // UniversalString
          default -> throw new IllegalArgumentException("not a string type: " + tag);
        };
    return new String(value, cs);
  }

  /** A cursor over the contents of one DER constructed value. */
  private static final class Reader {
    private final byte[] der;
    private int pos;
    private final int end;

    Reader(byte[] der, int pos, int end) {
      this.der = der;
      this.pos = pos;
      this.end = end;
    }

    boolean hasMore() {
      return pos < end;
    }

    int peekTag() {
      if (pos >= end) {
        throw new IllegalArgumentException("DER: truncated");
      }
      return der[pos] & 0xff;
    }

    /** Reads a TLV with the given tag and returns a reader over its contents. */
    Reader enter(int tag) {
      int len = header(tag);
      Reader inner = new Reader(der, pos, pos + len);
      pos += len;
      return inner;
    }

    /** Reads a TLV with the given tag and returns its contents. */
    byte[] read(int tag) {
      int len = header(tag);
      byte[] out = Arrays.copyOfRange(der, pos, pos + len);
      pos += len;
      return out;
    }

    private int header(int tag) {
      if (peekTag() != tag) {
        throw new IllegalArgumentException("DER: expected tag " + tag + ", got " + peekTag());
      }
      pos++;
      int first = der[pos++] & 0xff;
      int len;
      if (first < 0x80) {
        len = first;
      } else {
        int n = first & 0x7f;
        if (n == 0 || n > 3) {
          throw new IllegalArgumentException("DER: unsupported length");
        }
        len = 0;
        for (int i = 0; i < n; i++) {
          len = (len << 8) | (der[pos++] & 0xff);
        }
      }
      if (len > end - pos) {
        throw new IllegalArgumentException("DER: length past end");
      }
      return len;
    }
  }
}
