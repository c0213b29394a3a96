package dev.metropolis.osbase.net.dhcp;

import java.util.Optional;

/** DHCP message types (option 53, RFC 2132 §9.6). */
public enum MessageType {
  DISCOVER(1, true),
  OFFER(2, false),
  REQUEST(3, true),
  DECLINE(4, true),
  ACK(5, false),
  NAK(6, false),
  RELEASE(7, true),
  INFORM(8, true);

  private final int code;
  private final boolean fromClient;

  MessageType(int code, boolean fromClient) {
    this.code = code;
    this.fromClient = fromClient;
  }

  public int code() {
    return code;
  }

  /** Whether clients send it (as BOOTREQUEST); the others are server replies (BOOTREPLY). */
  public boolean fromClient() {
    return fromClient;
  }

  public static Optional<MessageType> of(int code) {
    for (MessageType t : values()) {
      if (t.code == code) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
