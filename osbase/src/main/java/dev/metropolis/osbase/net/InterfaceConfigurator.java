package dev.metropolis.osbase.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.util.Optional;

/**
 * The few interface changes the network services make: bring a link up, put an address on it, set
 * the default route. {@link IpCommand} does it with iproute2 on a hosted node; machine mode will
 * have its own netlink implementation behind this same interface.
 */
public interface InterfaceConfigurator {
  /** Sets {@code iface} administratively up. */
  void linkUp(String iface) throws IOException;

  /**
   * Makes {@code address} the IPv4 address of {@code iface} (replacing {@code previous} when it
   * differs), brings the link up, and routes by default through {@code router} when given.
   */
  void configure(
      String iface,
      Ipv4Prefix address,
      Optional<Inet4Address> router,
      Optional<Ipv4Prefix> previous)
      throws IOException;

  /** Removes {@code address} (and with it the routes through it) from {@code iface}. */
  void unconfigure(String iface, Ipv4Prefix address) throws IOException;
}
