package dev.metropolis.metroctl.client;

import dev.metropolis.osbase.pki.CertificateTemplates;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * The TLS client certificate metroctl presents: the owner's cluster certificate, or an ephemeral
 * self-signed one proving possession of the owner key (escrow only).
 */
public record Credentials(X509Certificate certificate, PrivateKey key) {
  /**
   * Self-signs a certificate for {@code key} once, so that every connection of this run presents
   * the same one.
   */
  public static Credentials ephemeral(KeyPair key) {
    return new Credentials(CertificateTemplates.selfSigned(key), key.getPrivate());
  }
}
