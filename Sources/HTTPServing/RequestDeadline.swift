import NIOCore
import NIOHTTP1

/// Closes a connection that has not delivered a whole request within the limit since it
/// opened or since the previous response: the only defence against a peer that trickles
/// header bytes (slow-loris), since every byte would reset an idle timer. Tells the
/// listener's `ConnectionTable` the same transitions, so that when the listener is crowded
/// the connections still waiting for their request make room, not the ones being answered.
final class RequestDeadline: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limit: TimeAmount
    private let table: ConnectionTable
    private var timer: Scheduled<Void>?
    private var counted = false

    init(limit: TimeAmount, table: ConnectionTable) {
        self.limit = limit
        self.table = table
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { opened(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        opened(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        table.closed(context.channel)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        table.closed(context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            // The request is complete; our own handler is bounded, so no clock runs now.
            timer?.cancel()
            timer = nil
            table.requestArrived(context.channel)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let answered = if case .end = unwrapOutboundIn(data) { true } else { false }
        context.write(data, promise: promise)
        if answered {
            arm(context)
            table.answered(context.channel)
        }
    }

    private func opened(_ context: ChannelHandlerContext) {
        guard !counted else { return }
        counted = true
        arm(context)
        table.opened(context.channel)
    }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
    }
}
