package dev.metropolis.osbase.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UdpPacketTest {
  private static final UdpPacket SAMPLE =
      new UdpPacket(
          Ipv4.ANY,
          68,
          Ipv4.BROADCAST,
          67,
          ByteBuffer.wrap("hello, odd length".getBytes(StandardCharsets.US_ASCII)));

  @Test
  void roundTripsWithValidChecksums() throws Exception {
    byte[] wire = SAMPLE.encode();
    assertThat(wire).hasSize(20 + 8 + 17);
    assertThat(UdpPacket.checksum(wire, 0, 20, 0)).isZero();
    assertThat(UdpPacket.udpChecksumValid(wire)).isTrue();
    assertThat(UdpPacket.decode(ByteBuffer.wrap(wire))).isEqualTo(SAMPLE);
  }

  @Test
  void knownChecksum() {
    // RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
    byte[] data = {
      0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7
    };
    assertThat(UdpPacket.checksum(data, 0, data.length, 0)).isEqualTo(~0xddf2 & 0xffff);
  }

  @Test
  void rejectsBrokenHeaders() {
    byte[] wire = SAMPLE.encode();
    assertThatThrownBy(() -> UdpPacket.decode(ByteBuffer.wrap(wire, 0, 10)))
        .isInstanceOf(MalformedPacketException.class)
        .hasMessageContaining("shorter than a header");
    byte[] v6 = wire.clone();
    v6[0] = 0x65;
    assertThatThrownBy(() -> UdpPacket.decode(ByteBuffer.wrap(v6)))
        .hasMessageContaining("IP version 6");
    byte[] csum = wire.clone();
    csum[8]--; // TTL
    assertThatThrownBy(() -> UdpPacket.decode(ByteBuffer.wrap(csum)))
        .hasMessageContaining("checksum");
    byte[] tcp = wire.clone();
    tcp[9] = 6;
    assertThatThrownBy(() -> UdpPacket.decode(ByteBuffer.wrap(tcp)))
        .hasMessageContaining("expected UDP");
    assertThatThrownBy(() -> UdpPacket.decode(ByteBuffer.wrap(wire, 0, wire.length - 1)))
        .hasMessageContaining("total length");
  }

  @Test
  void randomBytesNeverEscapeAsAnythingButMalformed() {
    Random r = new Random(1);
    byte[] wire = SAMPLE.encode();
    for (int i = 0; i < 20_000; i++) {
      byte[] b = wire.clone();
      b[r.nextInt(b.length)] = (byte) r.nextInt();
      int len = r.nextInt(b.length + 1);
      try {
        UdpPacket.decode(ByteBuffer.wrap(b, 0, len));
      } catch (MalformedPacketException e) {
        // expected for most
      }
    }
  }
}
