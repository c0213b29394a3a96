package dev.metropolis.osbase.net.dhcp;

import dev.metropolis.osbase.net.Ipv4;
import dev.metropolis.osbase.net.MalformedPacketException;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options of a DHCP message other than the message type (which {@link DhcpMessage} holds): an
 * ordered map from option code to raw value, with typed accessors for the options we use. Values of
 * the typed options are validated when a message is decoded, so the accessors do not fail on
 * received data. Immutable; build with {@link #builder()}.
 */
public final class DhcpOptions {
  public static final int PAD = 0;
  public static final int SUBNET_MASK = 1;
  public static final int ROUTER = 3;
  public static final int DNS = 6;
  public static final int HOSTNAME = 12;
  public static final int REQUESTED_ADDRESS = 50;
  public static final int LEASE_TIME = 51;
  public static final int OVERLOAD = 52;
  public static final int MESSAGE_TYPE = 53;
  public static final int SERVER_ID = 54;
  public static final int PARAMETER_LIST = 55;
  public static final int CLIENT_ID = 61;
  public static final int END = 255;

  public static final DhcpOptions EMPTY = new DhcpOptions(Map.of());

  private final Map<Integer, byte[]> values;

  private DhcpOptions(Map<Integer, byte[]> values) {
    this.values = values;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The option codes present, in wire order. */
  public Set<Integer> codes() {
    return values.keySet();
  }

  /** The raw value of option {@code code}. */
  public Optional<byte[]> raw(int code) {
    byte[] v = values.get(code);
    return v == null ? Optional.empty() : Optional.of(v.clone());
  }

  public Optional<Inet4Address> subnetMask() {
    return address(SUBNET_MASK);
  }

  public List<Inet4Address> routers() {
    return addresses(ROUTER);
  }

  public List<Inet4Address> dnsServers() {
    return addresses(DNS);
  }

  public Optional<String> hostname() {
    return Optional.ofNullable(values.get(HOSTNAME))
        .map(v -> new String(v, StandardCharsets.US_ASCII));
  }

  public Optional<Inet4Address> requestedAddress() {
    return address(REQUESTED_ADDRESS);
  }

  /** The lease time; {@code 0xffffffff} ("infinite") is returned as a very long duration. */
  public Optional<Duration> leaseTime() {
    return Optional.ofNullable(values.get(LEASE_TIME))
        .map(v -> Duration.ofSeconds(Integer.toUnsignedLong(ByteBuffer.wrap(v).getInt())));
  }

  public Optional<Inet4Address> serverId() {
    return address(SERVER_ID);
  }

  /** The option codes a client asks for (option 55). */
  public List<Integer> parameterList() {
    byte[] v = values.get(PARAMETER_LIST);
    if (v == null) {
      return List.of();
    }
    List<Integer> out = new ArrayList<>();
    for (byte b : v) {
      out.add(b & 0xff);
    }
    return Collections.unmodifiableList(out);
  }

  public Optional<byte[]> clientId() {
    return raw(CLIENT_ID);
  }

  private Optional<Inet4Address> address(int code) {
    byte[] v = values.get(code);
    return v == null ? Optional.empty() : Optional.of(Ipv4.of(Arrays.copyOf(v, 4)));
  }

  private List<Inet4Address> addresses(int code) {
    byte[] v = values.get(code);
    if (v == null) {
      return List.of();
    }
    List<Inet4Address> out = new ArrayList<>();
    for (int i = 0; i + 4 <= v.length; i += 4) {
      out.add(Ipv4.of(Arrays.copyOfRange(v, i, i + 4)));
    }
    return List.copyOf(out);
  }

  /** Checks the lengths and values of the options with a typed accessor. */
  static void validate(int code, byte[] v) throws MalformedPacketException {
    switch (code) {
      case SUBNET_MASK, REQUESTED_ADDRESS, SERVER_ID, LEASE_TIME -> {
        if (v.length != 4) {
          throw new MalformedPacketException(
              "option " + code + ": length " + v.length + ", must be 4");
        }
        if (code == SUBNET_MASK) {
          try {
            Ipv4.prefixLength(Ipv4.of(v));
          } catch (IllegalArgumentException e) {
            throw new MalformedPacketException("option 1 (subnet mask): " + e.getMessage());
          }
        }
      }
      case ROUTER, DNS -> {
        if (v.length == 0 || v.length % 4 != 0) {
          throw new MalformedPacketException(
              "option " + code + ": length " + v.length + ", must be a positive multiple of 4");
        }
      }
      case HOSTNAME, PARAMETER_LIST -> {
        if (v.length == 0) {
          throw new MalformedPacketException("option " + code + ": empty");
        }
      }
      case CLIENT_ID -> {
        if (v.length < 2) {
          throw new MalformedPacketException(
              "option 61 (client identifier): length " + v.length + ", must be at least 2");
        }
      }
      default -> {}
    }
  }

  /** The options as they go on the wire (without the message type and END). */
  Map<Integer, byte[]> entries() {
    return values;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof DhcpOptions other) || !values.keySet().equals(other.values.keySet())) {
      return false;
    }
    for (var e : values.entrySet()) {
      if (!Arrays.equals(e.getValue(), other.values.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 0;
    for (var e : values.entrySet()) {
      h += e.getKey() ^ Arrays.hashCode(e.getValue());
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    HexFormat hex = HexFormat.of();
    values.forEach((k, v) -> {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(k).append('=').append(hex.formatHex(v));
    });
    return sb.append('}').toString();
  }

  /** Builds options; setting one twice replaces it. */
  public static final class Builder {
    private final Map<Integer, byte[]> values = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets a raw option.
     *
     * @throws IllegalArgumentException for PAD, END, the message type (a {@link DhcpMessage} field)
     *     or an invalid value of a typed option
     */
    public Builder raw(int code, byte[] value) {
      if (code <= PAD || code >= END || code == MESSAGE_TYPE) {
        throw new IllegalArgumentException("option code " + code + " cannot be set as an option");
      }
      try {
        validate(code, value);
      } catch (MalformedPacketException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
      values.put(code, value.clone());
      return this;
    }

    /** Appends to option {@code code} (RFC 3396: repeated options concatenate). */
    Builder append(int code, byte[] value) {
      values.merge(
          code,
          value.clone(),
          (a, b) -> {
            byte[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
          });
      return this;
    }

    public Builder subnetMask(Inet4Address mask) {
      return raw(SUBNET_MASK, mask.getAddress());
    }

    public Builder routers(List<Inet4Address> routers) {
      return raw(ROUTER, concat(routers));
    }

    public Builder dnsServers(List<Inet4Address> servers) {
      return raw(DNS, concat(servers));
    }

    public Builder hostname(String name) {
      return raw(HOSTNAME, name.getBytes(StandardCharsets.US_ASCII));
    }

    public Builder requestedAddress(Inet4Address a) {
      return raw(REQUESTED_ADDRESS, a.getAddress());
    }

    public Builder leaseTime(Duration d) {
      long s = d.toSeconds();
      if (s < 0 || s > 0xffffffffL) {
        throw new IllegalArgumentException("lease time out of range: " + d);
      }
      return raw(LEASE_TIME, ByteBuffer.allocate(4).putInt((int) s).array());
    }

    public Builder serverId(Inet4Address a) {
      return raw(SERVER_ID, a.getAddress());
    }

    public Builder parameterList(List<Integer> codes) {
      byte[] v = new byte[codes.size()];
      for (int i = 0; i < v.length; i++) {
        int c = codes.get(i);
        if (c <= PAD || c >= END) {
          throw new IllegalArgumentException("parameter list: invalid option code " + c);
        }
        v[i] = (byte) c;
      }
      return raw(PARAMETER_LIST, v);
    }

    public Builder clientId(byte[] id) {
      return raw(CLIENT_ID, id);
    }

    private static byte[] concat(List<Inet4Address> addresses) {
      ByteBuffer b = ByteBuffer.allocate(4 * addresses.size());
      addresses.forEach(a -> b.put(a.getAddress()));
      return b.array();
    }

    /** Builds after validating every typed option (values appended from the wire). */
    DhcpOptions buildValidated() throws MalformedPacketException {
      for (var e : values.entrySet()) {
        validate(e.getKey(), e.getValue());
      }
      return build();
    }

    public DhcpOptions build() {
      Map<Integer, byte[]> copy = new LinkedHashMap<>();
      values.forEach((k, v) -> copy.put(k, v.clone()));
      return new DhcpOptions(Collections.unmodifiableMap(copy));
    }
  }
}
