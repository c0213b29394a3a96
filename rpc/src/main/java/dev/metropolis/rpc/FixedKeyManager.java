package dev.metropolis.rpc;

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
 *
 * <p>{@link #NONE} holds nothing: a client without credentials uses it so that JSSE does not fall
 * back to a key store named by {@code javax.net.ssl.keyStore}.
 */
final class FixedKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "metropolis";

  /** Presents no certificate. */
  static final FixedKeyManager NONE = new FixedKeyManager();

  private final PrivateKey key;
  private final X509Certificate cert;

  private FixedKeyManager() {
    this.key = null;
    this.cert = null;
  }

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

  private boolean usable(String keyType) {
    return key != null
        && (keyType == null
            || keyType.equalsIgnoreCase("EdDSA")
            || keyType.equalsIgnoreCase("Ed25519"));
  }

  private String choose(String[] keyTypes) {
    if (keyTypes == null) {
      return usable(null) ? ALIAS : null;
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
    return key != null && ALIAS.equals(alias) ? new X509Certificate[] {cert} : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return key != null && ALIAS.equals(alias) ? key : null;
  }
}
