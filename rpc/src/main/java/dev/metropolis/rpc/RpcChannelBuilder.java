package dev.metropolis.rpc;

import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.NodeId;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.proxy.Socks5ProxyHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;

/**
 * Builds gRPC client channels to Metropolis nodes.
 *
 * <p>Three choices are made explicitly:
 *
 * <ul>
 *   <li>credentials presented: a cluster certificate and key (owner or node, {@link
 *       #clusterCredentials}), an ephemeral self-signed certificate for a key ({@link
 *       #ephemeralCredentials}), or none (the default);
 *   <li>server verification, which is mandatory: the server must present exactly one certificate, a
 *       node certificate under the expected CA ({@link #verifyNode(X509Certificate)}), optionally
 *       of a given node ID ({@link #verifyNode(X509Certificate, String)}); or {@link #insecure()},
 *       for CA trust-on-first-use and tests only;
 *   <li>an optional SOCKS5 proxy (no authentication) that every connection is dialled through.
 * </ul>
 *
 * <p>Transport: grpc-netty with the JDK TLS provider (TLS 1.3, ALPN h2), as Ed25519 keys require.
 * SOCKS5 is Netty's own {@link Socks5ProxyHandler}, placed first in each new channel's pipeline: it
 * diverts the connect to the proxy and holds back the TLS handshake until the proxy has connected.
 * Proxied channels share one small event loop of daemon threads.
 */
public final class RpcChannelBuilder {
  private final String target;
  private X509Certificate clientCert;
  private PrivateKey clientKey;
  private TrustManager trust;
  private String socksHost;
  private int socksPort;

  private RpcChannelBuilder(String target) {
    this.target = Objects.requireNonNull(target);
  }

  /** A channel to a gRPC target: {@code host:port}, or any URI a registered resolver accepts. */
  public static RpcChannelBuilder forTarget(String target) {
    return new RpcChannelBuilder(target);
  }

  /** A channel to {@code host:port}. */
  public static RpcChannelBuilder forAddress(String host, int port) {
    return new RpcChannelBuilder((host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port);
  }

  /** Presents a certificate issued by the cluster CA (owner, user or node) with its key. */
  public RpcChannelBuilder clusterCredentials(X509Certificate cert, PrivateKey key) {
    this.clientCert = Objects.requireNonNull(cert);
    this.clientKey = Objects.requireNonNull(key);
    return this;
  }

  /**
   * Presents a fresh self-signed certificate for {@code key}, proving possession of it to
   * unauthenticated methods (register, join, ownership escrow).
   */
  public RpcChannelBuilder ephemeralCredentials(KeyPair key) {
    return clusterCredentials(CertificateTemplates.selfSigned(key), key.getPrivate());
  }

  /** Presents no client certificate (the default). */
  public RpcChannelBuilder noCredentials() {
    this.clientCert = null;
    this.clientKey = null;
    return this;
  }

  /** Accepts any node of the cluster whose CA is {@code ca}. */
  public RpcChannelBuilder verifyNode(X509Certificate ca) {
    this.trust = new TrustManagers.NodeServer(Objects.requireNonNull(ca), Optional.empty());
    return this;
  }

  /**
   * Accepts only node {@code nodeId} of the cluster whose CA is {@code ca}.
   *
   * @throws IllegalArgumentException if {@code nodeId} is malformed
   */
  public RpcChannelBuilder verifyNode(X509Certificate ca, String nodeId) {
    this.trust =
        new TrustManagers.NodeServer(
            Objects.requireNonNull(ca), Optional.of(NodeId.requireValid(nodeId)));
    return this;
  }

  /**
   * Accepts any server certificate. Only for fetching the CA on first contact (trust on first use)
   * and for tests.
   */
  public RpcChannelBuilder insecure() {
    this.trust = TrustManagers.AcceptAny.INSTANCE;
    return this;
  }

  /**
   * Dials every connection through the SOCKS5 proxy at {@code hostPort} ({@code host:port}, IPv6 in
   * brackets), without authentication.
   */
  public RpcChannelBuilder socksProxy(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    String host = colon > 0 ? hostPort.substring(0, colon) : "";
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (host.isEmpty() || port < 1 || port > 65535 || host.indexOf(']') >= 0) {
      throw new IllegalArgumentException("SOCKS proxy must be host:port, got " + hostPort);
    }
    this.socksHost = host;
    this.socksPort = port;
    return this;
  }

  /** The TLS context for the configured credentials and verification. */
  SslContext sslContext() {
    if (trust == null) {
      throw new IllegalStateException(
          "no server verification chosen: call verifyNode(...) or, for TOFU/tests, insecure()");
    }
    SslContextBuilder b = SslContextBuilder.forClient().trustManager(trust).protocols("TLSv1.3");
    b.keyManager(
        clientCert != null ? new FixedKeyManager(clientKey, clientCert) : FixedKeyManager.NONE);
    try {
      return GrpcSslContexts.configure(b, SslProvider.JDK).build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build client TLS context", e);
    }
  }

  /**
   * Returns a Netty channel builder with TLS and the proxy configured, for callers that need more
   * settings (name resolvers, keepalive, executors) before building.
   *
   * @throws IllegalStateException if no server verification was chosen
   */
  public NettyChannelBuilder nettyBuilder() {
    NettyChannelBuilder b =
        NettyChannelBuilder.forTarget(target)
            .sslContext(sslContext())
            // Our proxy is the only proxy: ignore GRPC_PROXY_EXP and the JVM's proxy selector.
            .proxyDetector(address -> null);
    if (socksHost != null) {
      String proxyHost = socksHost;
      int proxyPort = socksPort;
      b.channelFactory(
              () -> {
                NioSocketChannel ch = new NioSocketChannel();
                // Resolved per connection, so a proxy name may change its address.
                ch.pipeline()
                    .addFirst(new Socks5ProxyHandler(new InetSocketAddress(proxyHost, proxyPort)));
                return ch;
              })
          .eventLoopGroup(ProxyEventLoop.GROUP);
    }
    return b;
  }

  /** Builds the channel. */
  public ManagedChannel build() {
    return nettyBuilder().build();
  }

  /** Holder for the event loop of proxied channels, created on first use. */
  private static final class ProxyEventLoop {
    static final EventLoopGroup GROUP =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("metropolis-rpc-socks", true), NioIoHandler.newFactory());
  }
}
