package dev.metropolis.kubernetes.apiserver;

import io.etcd.jetcd.Client;
import java.net.InetSocketAddress;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Set;

/**
 * Everything the API server needs, wired by its owner.
 *
 * @param etcd client of the cluster's etcd; the server does not close it
 * @param prefix etcd key prefix of all objects, e.g. {@code /registry}
 * @param ca CA that client certificates must be issued by
 * @param certificate the server's certificate (IP/DNS SANs of the listen address)
 * @param key the server's private key (Ed25519)
 * @param listen address to listen on (port 0 picks a free port)
 * @param admins user names (client certificate CNs) that hold cluster-admin, e.g. {@code owner}
 * @param clock time source of creation timestamps and ages
 */
public record ApiServerConfig(
    Client etcd,
    String prefix,
    X509Certificate ca,
    X509Certificate certificate,
    PrivateKey key,
    InetSocketAddress listen,
    Set<String> admins,
    Clock clock) {
  public ApiServerConfig {
    if (prefix.isEmpty() || !prefix.startsWith("/") || prefix.endsWith("/")) {
      throw new IllegalArgumentException(
          "etcd prefix must start with '/' and not end with it, got \"" + prefix + "\"");
    }
    admins = Set.copyOf(admins);
  }
}
