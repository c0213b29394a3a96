package dev.metropolis.osbase.net;

import java.io.IOException;

/**
 * Bytes from the network that do not form a valid packet of the expected kind. The message names
 * the field and the rule it breaks; servers log it and drop the packet.
 */
public final class MalformedPacketException extends IOException {
  public MalformedPacketException(String message) {
    super(message);
  }
}
