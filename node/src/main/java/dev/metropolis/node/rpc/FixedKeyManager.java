package dev.metropolis.node.rpc;

import dev.metropolis.osbase.pki.Ed25519;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager holding exactly one Ed25519 key and certificate, offered whenever TLS asks for an
 * EdDSA key. JSSE's own key managers pick aliases by issuer lists and key types; with one
 * credential there is nothing to pick, and being explicit avoids surprises with Ed25519.
 */
final class FixedKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "metropolis";

  private final PrivateKey key;
  private final X509Certificate cert;

  FixedKeyManager(PrivateKey key, X509Certificate cert) {
    if (!Ed25519.isEd25519(key)) {
      throw new IllegalArgumentException(
          "TLS credentials must be Ed25519, not " + key.getAlgorithm());
    }
    if (!Ed25519.matches(cert.getPublicKey(), key)) {
      throw new IllegalArgumentException("private key does not belong to the certificate");
    }
    this.key = key;
    this.cert = cert;
  }

  private static boolean usable(String keyType) {
    return keyType == null
        || keyType.equalsIgnoreCase("EdDSA")
        || keyType.equalsIgnoreCase("Ed25519");
  }

  private static String choose(String[] keyTypes) {
    if (keyTypes == null) {
      return ALIAS;
    }
    for (String t : keyTypes) {
      if (usable(t)) {
        return ALIAS;
      }
    }
    return null;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return usable(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return choose(keyType);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return choose(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return usable(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return usable(keyType) ? ALIAS : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return usable(keyType) ? ALIAS : null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? new X509Certificate[] {cert} : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? key : null;
  }
}
