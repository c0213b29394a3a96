package dev.metropolis.rpc;

import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.SocketAddress;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLException;

/**
 * TLS and authorization for the gRPC servers of a node.
 *
 * <p>The server presents its node certificate alone (clients insist on exactly one certificate).
 * Client certificates are requested but not required and not verified by TLS: {@link
 * AuthorizationInterceptor} classifies them per call, so unauthenticated methods can still read a
 * self-signed certificate. TLS runs on the JDK provider: grpc-netty's default BoringSSL (when
 * netty-tcnative is present) fails handshakes with Ed25519 keys given as JDK {@code PrivateKey}s.
 */
public final class ServerSecurity {
  private ServerSecurity() {}

  /**
   * Server TLS context (TLS 1.3, ALPN h2, JDK provider) presenting {@code nodeCert}.
   *
   * @throws IllegalArgumentException if the key is not Ed25519 or does not match the certificate
   */
  public static SslContext sslContext(X509Certificate nodeCert, PrivateKey nodeKey) {
    SslContextBuilder builder =
        SslContextBuilder.forServer(new FixedKeyManager(nodeKey, nodeCert))
            .clientAuth(ClientAuth.OPTIONAL)
            .trustManager(TrustManagers.AcceptAny.INSTANCE)
            .protocols("TLSv1.3");
    try {
      return GrpcSslContexts.configure(builder, SslProvider.JDK).build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build server TLS context", e);
    }
  }

  /**
   * A Netty server builder listening on {@code address} with the node's TLS context and the
   * authorization interceptor for {@code ca} applied to every service. Add services and build.
   */
  public static NettyServerBuilder serverBuilder(
      SocketAddress address, X509Certificate ca, X509Certificate nodeCert, PrivateKey nodeKey) {
    return NettyServerBuilder.forAddress(address)
        .sslContext(sslContext(nodeCert, nodeKey))
        .intercept(new AuthorizationInterceptor(ca));
  }
}
