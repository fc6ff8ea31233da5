/**
 * Protocol Buffers definitions: a comparable model of a .proto file (parsed with
 * protobufjs, located with ssmd's own tokenizer) and the structural compare of two
 * versions by Buf's wire-compatibility rules.
 */
export { buildProtoModel, ProtoSyntaxError, type ProtoModel, type ProtoField, type ProtoMessage, type ProtoEnum, type ProtoService, type ProtoType } from './model.js'
export { compareProtobuf } from './compare.js'
export { locateDepthProblem, locateProto, type ProtoPosition, type ProtoPositions } from './locate.js'
