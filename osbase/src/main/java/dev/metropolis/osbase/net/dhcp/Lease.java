package dev.metropolis.osbase.net.dhcp;

import dev.metropolis.osbase.net.Ipv4Prefix;
import java.net.Inet4Address;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An address lease from a DHCP server.
 *
 * @param address the interface address and prefix length (from the subnet mask option; /32 when the
 *     server sent none)
 * @param router the default gateway, when the server offered one
 * @param dns DNS servers offered
 * @param server the server's identifier, where renewals go
 * @param leaseTime how long the address is ours from {@code acquired}
 * @param acquired when the server acknowledged it (the client's clock)
 */
public record Lease(
    Ipv4Prefix address,
    Optional<Inet4Address> router,
    List<Inet4Address> dns,
    Inet4Address server,
    Duration leaseTime,
    Instant acquired) {
  public Lease {
    dns = List.copyOf(dns);
  }

  /** RFC 2131 T1: when to start renewing with the server that gave the lease. */
  public Instant renewAt() {
    return acquired.plus(leaseTime.dividedBy(2));
  }

  /** RFC 2131 T2: when to start asking any server. */
  public Instant rebindAt() {
    return acquired.plus(leaseTime.multipliedBy(7).dividedBy(8));
  }

  public Instant expiresAt() {
    return acquired.plus(leaseTime);
  }

  @Override
  public String toString() {
    return address
        + router.map(r -> " router " + r.getHostAddress()).orElse("")
        + " from "
        + server.getHostAddress()
        + " for "
        + leaseTime.toSeconds()
        + " s";
  }
}
