package dev.metropolis.kubernetes.apiserver.http;

import dev.metropolis.kubernetes.apiserver.auth.Authenticator;
import dev.metropolis.kubernetes.apiserver.auth.User;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLException;

/**
 * HTTPS front of the API server on Netty (HTTP/2 or HTTP/1.1 by ALPN): TLS with optional client
 * certificates (JDK provider, which handles Ed25519 keys), whole requests up to {@link #MAX_BODY}
 * bytes, and one virtual thread per request running the {@link Handler}.
 */
public final class HttpServer implements AutoCloseable {
  /** Largest request body accepted (upstream's limit is 3 MiB). */
  public static final int MAX_BODY = 3 << 20;

  private final EventLoopGroup group;
  private final ExecutorService workers;
  private final Channel channel;

  private HttpServer(EventLoopGroup group, ExecutorService workers, Channel channel) {
    this.group = group;
    this.workers = workers;
    this.channel = channel;
  }

  public static HttpServer start(
      InetSocketAddress listen,
      List<X509Certificate> clientCas,
      X509Certificate certificate,
      PrivateKey key,
      Authenticator authenticator,
      Handler handler)
      throws InterruptedException {
    SslContext ssl;
    try {
      ssl =
          SslContextBuilder.forServer(key, certificate)
              .sslProvider(SslProvider.JDK)
              .clientAuth(ClientAuth.OPTIONAL)
              .trustManager(new ClientTrust(clientCas))
              .applicationProtocolConfig(
                  new ApplicationProtocolConfig(
                      ApplicationProtocolConfig.Protocol.ALPN,
                      ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                      ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                      ApplicationProtocolNames.HTTP_2,
                      ApplicationProtocolNames.HTTP_1_1))
              .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the API server's TLS context", e);
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    try {
      Channel ch =
          new ServerBootstrap()
              .group(group)
              .channel(NioServerSocketChannel.class)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                      c.pipeline()
                          .addLast(ssl.newHandler(c.alloc()))
                          .addLast(new Negotiator(new Dispatcher(authenticator, handler, workers)));
                    }
                  })
              .bind(listen)
              .sync()
              .channel();
      return new HttpServer(group, workers, ch);
    } catch (InterruptedException | RuntimeException e) {
      var _ = group.shutdownGracefully();
      workers.shutdownNow();
      throw e;
    }
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownNow();
  }

  /**
   * Picks the protocol TLS negotiated (ALPN): HTTP/2, which Go clients prefer, with one child
   * channel per stream converted to HTTP/1.1 objects, or HTTP/1.1 itself. Both end in the same
   * aggregator and dispatcher.
   */
  private static final class Negotiator extends ApplicationProtocolNegotiationHandler {
    private final Dispatcher dispatcher;

    Negotiator(Dispatcher dispatcher) {
      super(ApplicationProtocolNames.HTTP_1_1);
      this.dispatcher = dispatcher;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
      if (protocol.equals(ApplicationProtocolNames.HTTP_2)) {
        ctx.pipeline()
            // a bound on streams per connection, as upstream's Go server advertises (250):
            // watches are long-lived streams and each holds an etcd watch
            .addLast(
                Http2FrameCodecBuilder.forServer()
                    .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(250))
                    .build())
            .addLast(
                new Http2MultiplexHandler(
                    new ChannelInitializer<Channel>() {
                      @Override
                      protected void initChannel(Channel stream) {
                        stream
                            .pipeline()
                            .addLast(new Http2StreamFrameToHttpObjectCodec(true))
                            .addLast(new HttpObjectAggregator(MAX_BODY))
                            .addLast(dispatcher);
                      }
                    }));
      } else {
        ctx.pipeline()
            .addLast(new HttpServerCodec())
            .addLast(new HttpObjectAggregator(MAX_BODY))
            .addLast(dispatcher);
      }
    }
  }

  // Netty reports failed writes through the pipeline (exceptionCaught closes the connection)
  @SuppressWarnings("FutureReturnValueIgnored")
  @ChannelHandler.Sharable
  private static final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Authenticator authenticator;
    private final Handler handler;
    private final ExecutorService workers;

    Dispatcher(Authenticator authenticator, Handler handler, ExecutorService workers) {
      this.authenticator = authenticator;
      this.handler = handler;
      this.workers = workers;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
      if (!msg.decoderResult().isSuccess()) {
        ctx.writeAndFlush(
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST))
            .addListener(ChannelFutureListener.CLOSE);
        return;
      }
      QueryStringDecoder q = new QueryStringDecoder(msg.uri());
      Map<String, String> headers = new HashMap<>();
      for (Map.Entry<String, String> h : msg.headers()) {
        headers.merge(h.getKey().toLowerCase(Locale.ROOT), h.getValue(), (a, b) -> a + "," + b);
      }
      // an HTTP/2 stream's channel is a child of the connection's, which holds the TLS handler
      Channel connection =
          ctx.channel() instanceof Http2StreamChannel stream ? stream.parent() : ctx.channel();
      Optional<User> user =
          authenticator.authenticate(
              connection.pipeline().get(SslHandler.class).engine().getSession());
      Request request =
          new Request(
              msg.method().name(),
              q.path(),
              q.parameters(),
              headers,
              ByteBufUtil.getBytes(msg.content()),
              user);
      boolean keepAlive = HttpUtil.isKeepAlive(msg);
      Exchange exchange =
          isWebSocketUpgrade(msg)
              ? new WebSocketExchange(ctx, upgradeRequest(msg), new NettyExchange(ctx, false))
              : new NettyExchange(ctx, keepAlive);
      workers.execute(() -> {
        try {
          handler.handle(request, exchange);
        } catch (RuntimeException e) {
          exchange.respond(
              500,
              "text/plain",
              ("internal error: " + e).getBytes(java.nio.charset.StandardCharsets.UTF_8),
              List.of());
        }
      });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static boolean isWebSocketUpgrade(FullHttpRequest msg) {
    return msg.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
        && msg.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
  }

  /** The request's line and headers, kept for a handshake after the request was released. */
  private static FullHttpRequest upgradeRequest(FullHttpRequest msg) {
    FullHttpRequest copy =
        new DefaultFullHttpRequest(msg.protocolVersion(), msg.method(), msg.uri());
    copy.headers().set(msg.headers());
    return copy;
  }

  /**
   * A WebSocket request (fabric8's watches): errors are plain HTTP answers; a stream completes the
   * handshake and sends each chunk as one text message. Pings are answered, a close ends it.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // as in Dispatcher
  private static final class WebSocketExchange implements Exchange {
    private final ChannelHandlerContext ctx;
    private final FullHttpRequest request;
    private final Exchange plain;

    WebSocketExchange(ChannelHandlerContext ctx, FullHttpRequest request, Exchange plain) {
      this.ctx = ctx;
      this.request = request;
      this.plain = plain;
    }

    @Override
    public void respond(int status, String contentType, byte[] body, List<String> warnings) {
      plain.respond(status, contentType, body, warnings);
    }

    @Override
    public Stream stream(String contentType) {
      Channel ch = ctx.channel();
      String url = "wss://" + request.headers().get(HttpHeaderNames.HOST, "") + request.uri();
      WebSocketServerHandshaker handshaker =
          new WebSocketServerHandshakerFactory(url, null, false, MAX_BODY).newHandshaker(request);
      if (handshaker == null) {
        WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ch);
        return closed(ch);
      }
      ch.pipeline()
          .addLast(
              new SimpleChannelInboundHandler<WebSocketFrame>() {
                @Override
                protected void channelRead0(ChannelHandlerContext c, WebSocketFrame frame) {
                  if (frame instanceof PingWebSocketFrame) {
                    c.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
                  } else if (frame instanceof CloseWebSocketFrame close) {
                    handshaker.close(c.channel(), close.retain());
                  }
                }
              });
      handshaker.handshake(ch, request).syncUninterruptibly();
      return new Stream() {
        @Override
        public boolean write(byte[] chunk) {
          if (!ch.isActive()) {
            return false;
          }
          int end = chunk.length;
          while (end > 0 && chunk[end - 1] == '\n') {
            end--;
          }
          ch.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(chunk, 0, end)));
          return true;
        }

        @Override
        public void end() {
          ch.writeAndFlush(new CloseWebSocketFrame(1000, ""))
              .addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void onClose(Runnable r) {
          ch.closeFuture().addListener(f -> r.run());
        }
      };
    }

    private static Stream closed(Channel ch) {
      return new Stream() {
        @Override
        public boolean write(byte[] chunk) {
          return false;
        }

        @Override
        public void end() {}

        @Override
        public void onClose(Runnable r) {
          ch.closeFuture().addListener(f -> r.run());
        }
      };
    }
  }

  @SuppressWarnings("FutureReturnValueIgnored") // as in Dispatcher
  private static final class NettyExchange implements Exchange {
    private final ChannelHandlerContext ctx;
    private final boolean keepAlive;

    NettyExchange(ChannelHandlerContext ctx, boolean keepAlive) {
      this.ctx = ctx;
      this.keepAlive = keepAlive;
    }

    @Override
    public void respond(int status, String contentType, byte[] body, List<String> warnings) {
      FullHttpResponse r =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              HttpResponseStatus.valueOf(status),
              Unpooled.wrappedBuffer(body));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
      r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
      for (String w : warnings) {
        r.headers().add("Warning", "299 - \"" + w.replace("\"", "\\\"") + "\"");
      }
      if (keepAlive) {
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ctx.writeAndFlush(r);
      } else {
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public Stream stream(String contentType) {
      HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
      HttpUtil.setTransferEncodingChunked(r, true);
      ctx.writeAndFlush(r);
      return new Stream() {
        @Override
        public boolean write(byte[] chunk) {
          if (!ctx.channel().isActive()) {
            return false;
          }
          ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk)));
          return true;
        }

        @Override
        public void end() {
          if (keepAlive) {
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
          } else {
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                .addListener(ChannelFutureListener.CLOSE);
          }
        }

        @Override
        public void onClose(Runnable run) {
          ctx.channel().closeFuture().addListener(f -> run.run());
        }
      };
    }
  }
}
