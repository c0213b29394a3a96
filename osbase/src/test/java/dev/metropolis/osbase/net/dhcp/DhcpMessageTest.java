package dev.metropolis.osbase.net.dhcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.osbase.net.Ipv4;
import dev.metropolis.osbase.net.MacAddress;
import dev.metropolis.osbase.net.MalformedPacketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DhcpMessageTest {
  private static final MacAddress MAC = MacAddress.parse("02:00:00:aa:bb:cc");

  private static DhcpMessage discover() {
    return DhcpMessage.request(
        MessageType.DISCOVER,
        0x12345678,
        MAC,
        true,
        DhcpOptions.builder()
            .parameterList(List.of(1, 3, 6, 51))
            .hostname("node-0")
            .clientId(new byte[] {1, 2, 0, 0, (byte) 0xaa, (byte) 0xbb, (byte) 0xcc})
            .requestedAddress(Ipv4.parse("10.1.0.2"))
            .build());
  }

  private static DhcpMessage ack() {
    return new DhcpMessage(
        MessageType.ACK,
        -5,
        3,
        false,
        Ipv4.parse("10.1.0.2"),
        Ipv4.parse("10.1.0.2"),
        Ipv4.ANY,
        Ipv4.ANY,
        MAC,
        DhcpOptions.builder()
            .serverId(Ipv4.parse("10.1.0.1"))
            .leaseTime(Duration.ofSeconds(30))
            .subnetMask(Ipv4.parse("255.255.255.0"))
            .routers(List.of(Ipv4.parse("10.1.0.1")))
            .dnsServers(List.of(Ipv4.parse("10.42.0.3"), Ipv4.parse("1.1.1.1")))
            .build());
  }

  @Test
  void roundTripsRequestsAndReplies() throws Exception {
    for (DhcpMessage m : List.of(discover(), ack())) {
      byte[] wire = m.encode();
      assertThat(wire.length).isGreaterThanOrEqualTo(DhcpMessage.MIN_SIZE);
      assertThat(DhcpMessage.decode(ByteBuffer.wrap(wire))).isEqualTo(m);
    }
    DhcpMessage d = DhcpMessage.decode(ByteBuffer.wrap(discover().encode()));
    assertThat(d.broadcast()).isTrue();
    assertThat(d.options().hostname()).contains("node-0");
    assertThat(d.options().parameterList()).containsExactly(1, 3, 6, 51);
    assertThat(d.options().requestedAddress()).contains(Ipv4.parse("10.1.0.2"));
    DhcpMessage a = DhcpMessage.decode(ByteBuffer.wrap(ack().encode()));
    assertThat(a.xid()).isEqualTo(-5);
    assertThat(a.secs()).isEqualTo(3);
    assertThat(a.options().leaseTime()).contains(Duration.ofSeconds(30));
    assertThat(a.options().subnetMask().map(Ipv4::prefixLength)).contains(24);
    assertThat(a.options().routers()).containsExactly(Ipv4.parse("10.1.0.1"));
    assertThat(a.options().dnsServers()).hasSize(2);
    assertThat(a.options().serverId()).contains(Ipv4.parse("10.1.0.1"));
  }

  @Test
  void wireLayoutMatchesRfc2131() {
    byte[] w = discover().encode();
    assertThat(w[0]).isEqualTo((byte) 1); // BOOTREQUEST
    assertThat(w[1]).isEqualTo((byte) 1); // Ethernet
    assertThat(w[2]).isEqualTo((byte) 6);
    assertThat(ByteBuffer.wrap(w).getInt(4)).isEqualTo(0x12345678);
    assertThat(ByteBuffer.wrap(w).getShort(10)).isEqualTo((short) 0x8000); // broadcast flag
    assertThat(Arrays.copyOfRange(w, 28, 34)).isEqualTo(MAC.toBytes());
    assertThat(ByteBuffer.wrap(w).getInt(236)).isEqualTo(0x63825363);
    assertThat(Arrays.copyOfRange(w, 240, 243)).isEqualTo(new byte[] {53, 1, 1});
  }

  @Test
  void longOptionsSplitAndConcatenate() throws Exception {
    byte[] big = new byte[600];
    new Random(3).nextBytes(big);
    DhcpMessage m =
        DhcpMessage.request(
            MessageType.REQUEST, 1, MAC, false, DhcpOptions.builder().raw(224, big).build());
    DhcpMessage back = DhcpMessage.decode(ByteBuffer.wrap(m.encode()));
    assertThat(back.options().raw(224)).hasValueSatisfying(v -> assertThat(v).isEqualTo(big));
  }

  /** A valid message's bytes with the options region replaced. */
  private static byte[] withOptions(int op, byte... options) {
    byte[] w = Arrays.copyOf(discover().encode(), 240 + options.length);
    w[0] = (byte) op;
    System.arraycopy(options, 0, w, 240, options.length);
    return w;
  }

  private static void assertMalformed(byte[] wire, String message) {
    assertThatThrownBy(() -> DhcpMessage.decode(ByteBuffer.wrap(wire)))
        .isInstanceOf(MalformedPacketException.class)
        .hasMessageContaining(message);
  }

  @Test
  void rejectsMalformedMessagesWithClearReasons() {
    byte[] good = discover().encode();
    assertMalformed(Arrays.copyOf(good, 100), "shorter than the 240-byte header");
    byte[] op = good.clone();
    op[0] = 3;
    assertMalformed(op, "op 3");
    byte[] htype = good.clone();
    htype[1] = 6;
    assertMalformed(htype, "only Ethernet");
    byte[] cookie = good.clone();
    cookie[236] = 0;
    assertMalformed(cookie, "magic cookie");
    assertMalformed(withOptions(1, (byte) 53, (byte) 1, (byte) 1), "no END");
    assertMalformed(
        withOptions(1, (byte) 12, (byte) 40, (byte) 'x', (byte) 255), "runs past the end");
    assertMalformed(withOptions(1, (byte) 12), "no length byte");
    assertMalformed(withOptions(1, (byte) 255), "no message type");
    assertMalformed(
        withOptions(1, (byte) 53, (byte) 1, (byte) 99, (byte) 255), "unknown message type 99");
    assertMalformed(
        withOptions(1, (byte) 53, (byte) 2, (byte) 1, (byte) 1, (byte) 255), "one byte");
    assertMalformed(
        withOptions(1, (byte) 53, (byte) 1, (byte) 2, (byte) 255), "OFFER in a BOOTREQUEST");
    assertMalformed(
        withOptions(2, (byte) 53, (byte) 1, (byte) 1, (byte) 255), "DISCOVER in a BOOTREPLY");
    assertMalformed(
        withOptions(
            1,
            (byte) 53,
            (byte) 1,
            (byte) 1,
            (byte) 1,
            (byte) 4,
            (byte) 255,
            (byte) 0,
            (byte) 255,
            (byte) 0,
            (byte) 255),
        "subnet mask");
    assertMalformed(
        withOptions(
            1,
            (byte) 53,
            (byte) 1,
            (byte) 1,
            (byte) 3,
            (byte) 3,
            (byte) 10,
            (byte) 1,
            (byte) 0,
            (byte) 255),
        "option 3: length 3");
    assertMalformed(
        withOptions(
            1, (byte) 53, (byte) 1, (byte) 1, (byte) 51, (byte) 2, (byte) 0, (byte) 30, (byte) 255),
        "option 51: length 2");
    assertMalformed(
        withOptions(1, (byte) 53, (byte) 1, (byte) 1, (byte) 61, (byte) 1, (byte) 1, (byte) 255),
        "option 61");
  }

  @Test
  void padsAndTrailingBytesAreFine() throws Exception {
    DhcpMessage m =
        DhcpMessage.decode(
            ByteBuffer.wrap(
                withOptions(
                    1,
                    (byte) 0,
                    (byte) 0,
                    (byte) 53,
                    (byte) 1,
                    (byte) 3,
                    (byte) 255,
                    (byte) 7,
                    (byte) 7)));
    assertThat(m.type()).isEqualTo(MessageType.REQUEST);
    assertThat(m.options().codes()).isEmpty();
  }

  @Test
  void fuzzedBytesOnlyEverThrowMalformed() {
    Random r = new Random(7);
    byte[] good = ack().encode();
    for (int i = 0; i < 50_000; i++) {
      byte[] b = good.clone();
      for (int k = r.nextInt(4); k >= 0; k--) {
        b[r.nextInt(b.length)] = (byte) r.nextInt();
      }
      int len = r.nextInt(10) == 0 ? r.nextInt(b.length) : b.length;
      try {
        DhcpMessage m = DhcpMessage.decode(ByteBuffer.wrap(b, 0, len));
        // Whatever decodes must also encode and decode to itself.
        assertThat(DhcpMessage.decode(ByteBuffer.wrap(m.encode()))).isEqualTo(m);
      } catch (MalformedPacketException e) {
        assertThat(e.getMessage()).isNotBlank();
      }
    }
  }

  @Test
  void builderRejectsInvalidValues() {
    assertThatThrownBy(() -> DhcpOptions.builder().raw(53, new byte[] {1}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DhcpOptions.builder().subnetMask(Ipv4.parse("255.0.255.0")))
        .hasMessageContaining("contiguous");
    assertThatThrownBy(() -> DhcpOptions.builder().leaseTime(Duration.ofSeconds(-1)))
        .hasMessageContaining("lease time");
  }
}
