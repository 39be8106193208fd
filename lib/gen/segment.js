/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Strata keeps int64 fields (millisecond timestamps, byte counts) as JavaScript numbers: switch off
// protobufjs' Long support before the generated code reads its defaults.
$protobuf.util.Long = undefined;
$protobuf.configure();

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const strata = $root.strata = (() => {

    /**
     * Namespace strata.
     * @exports strata
     * @namespace
     */
    const strata = {};

    strata.segment = (function() {

        /**
         * Namespace segment.
         * @memberof strata
         * @namespace
         */
        const segment = {};

        segment.v1 = (function() {

            /**
             * Namespace v1.
             * @memberof strata.segment
             * @namespace
             */
            const v1 = {};

            v1.FileHeader = (function() {

                /**
                 * Properties of a FileHeader.
                 * @typedef {Object} strata.segment.v1.FileHeader.$Properties
                 * @property {string|null} [tenant] FileHeader tenant
                 * @property {number|null} [shard] FileHeader shard
                 * @property {number|null} [level] FileHeader level
                 * @property {string|null} [id] FileHeader id
                 * @property {number|null} [minTimeMs] FileHeader minTimeMs
                 * @property {number|null} [maxTimeMs] FileHeader maxTimeMs
                 * @property {string|null} [createdBy] FileHeader createdBy
                 * @property {number|null} [createdAtMs] FileHeader createdAtMs
                 * @property {number|null} [seriesCount] FileHeader seriesCount
                 * @property {number|null} [sampleCount] FileHeader sampleCount
                 * @property {Array.<string>|null} [sources] FileHeader sources
                 * @property {number|null} [chunkCount] FileHeader chunkCount
                 * @property {number|null} [bodyStoredBytes] FileHeader bodyStoredBytes
                 * @property {number|null} [bodyDecodedBytes] FileHeader bodyDecodedBytes
                 * @property {number|null} [shardCount] FileHeader shardCount
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a FileHeader.
                 * @memberof strata.segment.v1
                 * @interface IFileHeader
                 * @augments strata.segment.v1.FileHeader.$Properties
                 * @deprecated Use strata.segment.v1.FileHeader.$Properties instead.
                 */

                /**
                 * Shape of a FileHeader.
                 * @typedef {strata.segment.v1.FileHeader.$Properties} strata.segment.v1.FileHeader.$Shape
                 */

                /**
                 * Constructs a new FileHeader.
                 * @memberof strata.segment.v1
                 * @classdesc Represents a FileHeader.
                 * @constructor
                 * @param {strata.segment.v1.FileHeader.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const FileHeader = function (properties) {
                    this.sources = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * FileHeader tenant.
                 * @member {string} tenant
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.tenant = "";

                /**
                 * FileHeader shard.
                 * @member {number} shard
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.shard = 0;

                /**
                 * FileHeader level.
                 * @member {number} level
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.level = 0;

                /**
                 * FileHeader id.
                 * @member {string} id
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.id = "";

                /**
                 * FileHeader minTimeMs.
                 * @member {number} minTimeMs
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.minTimeMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * FileHeader maxTimeMs.
                 * @member {number} maxTimeMs
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.maxTimeMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * FileHeader createdBy.
                 * @member {string} createdBy
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.createdBy = "";

                /**
                 * FileHeader createdAtMs.
                 * @member {number} createdAtMs
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.createdAtMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * FileHeader seriesCount.
                 * @member {number} seriesCount
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.seriesCount = 0;

                /**
                 * FileHeader sampleCount.
                 * @member {number} sampleCount
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.sampleCount = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * FileHeader sources.
                 * @member {Array.<string>} sources
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.sources = $util.emptyArray;

                /**
                 * FileHeader chunkCount.
                 * @member {number} chunkCount
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.chunkCount = 0;

                /**
                 * FileHeader bodyStoredBytes.
                 * @member {number} bodyStoredBytes
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.bodyStoredBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * FileHeader bodyDecodedBytes.
                 * @member {number} bodyDecodedBytes
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.bodyDecodedBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * FileHeader shardCount.
                 * @member {number} shardCount
                 * @memberof strata.segment.v1.FileHeader
                 * @instance
                 */
                FileHeader.prototype.shardCount = 0;

                /**
                 * Creates a new FileHeader instance using the specified properties.
                 * @function create
                 * @memberof strata.segment.v1.FileHeader
                 * @static
                 * @param {strata.segment.v1.FileHeader.$Properties=} [properties] Properties to set
                 * @returns {strata.segment.v1.FileHeader} FileHeader instance
                 * @type {{
                 *   (properties: strata.segment.v1.FileHeader.$Shape): strata.segment.v1.FileHeader & strata.segment.v1.FileHeader.$Shape;
                 *   (properties?: strata.segment.v1.FileHeader.$Properties): strata.segment.v1.FileHeader;
                 * }}
                 */
                FileHeader.create = function(properties) {
                    return new FileHeader(properties);
                };

                /**
                 * Encodes the specified FileHeader message. Does not implicitly {@link strata.segment.v1.FileHeader.verify|verify} messages.
                 * @function encode
                 * @memberof strata.segment.v1.FileHeader
                 * @static
                 * @param {strata.segment.v1.FileHeader.$Properties} message FileHeader message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                FileHeader.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.tenant != null && $Object.hasOwnProperty.call(message, "tenant") && message.tenant !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.tenant);
                    if (message.shard != null && $Object.hasOwnProperty.call(message, "shard") && message.shard !== 0)
                        writer.uint32(/* id 2, wireType 0 =*/16).uint32(message.shard);
                    if (message.level != null && $Object.hasOwnProperty.call(message, "level") && message.level !== 0)
                        writer.uint32(/* id 3, wireType 0 =*/24).uint32(message.level);
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id") && message.id !== "")
                        writer.uint32(/* id 4, wireType 2 =*/34).string(message.id);
                    if (message.minTimeMs != null && $Object.hasOwnProperty.call(message, "minTimeMs") && (typeof message.minTimeMs === "object" ? message.minTimeMs.low || message.minTimeMs.high : message.minTimeMs !== 0))
                        writer.uint32(/* id 5, wireType 0 =*/40).int64(message.minTimeMs);
                    if (message.maxTimeMs != null && $Object.hasOwnProperty.call(message, "maxTimeMs") && (typeof message.maxTimeMs === "object" ? message.maxTimeMs.low || message.maxTimeMs.high : message.maxTimeMs !== 0))
                        writer.uint32(/* id 6, wireType 0 =*/48).int64(message.maxTimeMs);
                    if (message.createdBy != null && $Object.hasOwnProperty.call(message, "createdBy") && message.createdBy !== "")
                        writer.uint32(/* id 7, wireType 2 =*/58).string(message.createdBy);
                    if (message.createdAtMs != null && $Object.hasOwnProperty.call(message, "createdAtMs") && (typeof message.createdAtMs === "object" ? message.createdAtMs.low || message.createdAtMs.high : message.createdAtMs !== 0))
                        writer.uint32(/* id 8, wireType 0 =*/64).int64(message.createdAtMs);
                    if (message.seriesCount != null && $Object.hasOwnProperty.call(message, "seriesCount") && message.seriesCount !== 0)
                        writer.uint32(/* id 9, wireType 0 =*/72).uint32(message.seriesCount);
                    if (message.sampleCount != null && $Object.hasOwnProperty.call(message, "sampleCount") && (typeof message.sampleCount === "object" ? message.sampleCount.low || message.sampleCount.high : message.sampleCount !== 0))
                        writer.uint32(/* id 10, wireType 0 =*/80).uint64(message.sampleCount);
                    if (message.sources != null && message.sources.length)
                        for (let i = 0; i < message.sources.length; ++i)
                            writer.uint32(/* id 11, wireType 2 =*/90).string(message.sources[i]);
                    if (message.chunkCount != null && $Object.hasOwnProperty.call(message, "chunkCount") && message.chunkCount !== 0)
                        writer.uint32(/* id 12, wireType 0 =*/96).uint32(message.chunkCount);
                    if (message.bodyStoredBytes != null && $Object.hasOwnProperty.call(message, "bodyStoredBytes") && (typeof message.bodyStoredBytes === "object" ? message.bodyStoredBytes.low || message.bodyStoredBytes.high : message.bodyStoredBytes !== 0))
                        writer.uint32(/* id 13, wireType 0 =*/104).uint64(message.bodyStoredBytes);
                    if (message.bodyDecodedBytes != null && $Object.hasOwnProperty.call(message, "bodyDecodedBytes") && (typeof message.bodyDecodedBytes === "object" ? message.bodyDecodedBytes.low || message.bodyDecodedBytes.high : message.bodyDecodedBytes !== 0))
                        writer.uint32(/* id 14, wireType 0 =*/112).uint64(message.bodyDecodedBytes);
                    if (message.shardCount != null && $Object.hasOwnProperty.call(message, "shardCount") && message.shardCount !== 0)
                        writer.uint32(/* id 15, wireType 0 =*/120).uint32(message.shardCount);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a FileHeader message from the specified reader or buffer.
                 * @function decode
                 * @memberof strata.segment.v1.FileHeader
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {strata.segment.v1.FileHeader & strata.segment.v1.FileHeader.$Shape} FileHeader
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                FileHeader.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.strata.segment.v1.FileHeader();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.tenant = value;
                                else
                                    delete message.tenant;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.shard = value;
                                else
                                    delete message.shard;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.level = value;
                                else
                                    delete message.level;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.id = value;
                                else
                                    delete message.id;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.minTimeMs = value;
                                else
                                    delete message.minTimeMs;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.maxTimeMs = value;
                                else
                                    delete message.maxTimeMs;
                                continue;
                            }
                        case 7: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.createdBy = value;
                                else
                                    delete message.createdBy;
                                continue;
                            }
                        case 8: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.createdAtMs = value;
                                else
                                    delete message.createdAtMs;
                                continue;
                            }
                        case 9: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.seriesCount = value;
                                else
                                    delete message.seriesCount;
                                continue;
                            }
                        case 10: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.sampleCount = value;
                                else
                                    delete message.sampleCount;
                                continue;
                            }
                        case 11: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.sources && message.sources.length))
                                    message.sources = [];
                                message.sources.push(reader.stringVerify());
                                continue;
                            }
                        case 12: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.chunkCount = value;
                                else
                                    delete message.chunkCount;
                                continue;
                            }
                        case 13: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.bodyStoredBytes = value;
                                else
                                    delete message.bodyStoredBytes;
                                continue;
                            }
                        case 14: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.bodyDecodedBytes = value;
                                else
                                    delete message.bodyDecodedBytes;
                                continue;
                            }
                        case 15: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.shardCount = value;
                                else
                                    delete message.shardCount;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return FileHeader;
            })();

            v1.SeriesBody = (function() {

                /**
                 * Properties of a SeriesBody.
                 * @typedef {Object} strata.segment.v1.SeriesBody.$Properties
                 * @property {Array.<strata.segment.v1.Series.$Properties>|null} [series] SeriesBody series
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a SeriesBody.
                 * @memberof strata.segment.v1
                 * @interface ISeriesBody
                 * @augments strata.segment.v1.SeriesBody.$Properties
                 * @deprecated Use strata.segment.v1.SeriesBody.$Properties instead.
                 */

                /**
                 * Shape of a SeriesBody.
                 * @typedef {strata.segment.v1.SeriesBody.$Properties} strata.segment.v1.SeriesBody.$Shape
                 */

                /**
                 * Constructs a new SeriesBody.
                 * @memberof strata.segment.v1
                 * @classdesc Represents a SeriesBody.
                 * @constructor
                 * @param {strata.segment.v1.SeriesBody.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const SeriesBody = function (properties) {
                    this.series = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * SeriesBody series.
                 * @member {Array.<strata.segment.v1.Series.$Properties>} series
                 * @memberof strata.segment.v1.SeriesBody
                 * @instance
                 */
                SeriesBody.prototype.series = $util.emptyArray;

                /**
                 * Creates a new SeriesBody instance using the specified properties.
                 * @function create
                 * @memberof strata.segment.v1.SeriesBody
                 * @static
                 * @param {strata.segment.v1.SeriesBody.$Properties=} [properties] Properties to set
                 * @returns {strata.segment.v1.SeriesBody} SeriesBody instance
                 * @type {{
                 *   (properties: strata.segment.v1.SeriesBody.$Shape): strata.segment.v1.SeriesBody & strata.segment.v1.SeriesBody.$Shape;
                 *   (properties?: strata.segment.v1.SeriesBody.$Properties): strata.segment.v1.SeriesBody;
                 * }}
                 */
                SeriesBody.create = function(properties) {
                    return new SeriesBody(properties);
                };

                /**
                 * Encodes the specified SeriesBody message. Does not implicitly {@link strata.segment.v1.SeriesBody.verify|verify} messages.
                 * @function encode
                 * @memberof strata.segment.v1.SeriesBody
                 * @static
                 * @param {strata.segment.v1.SeriesBody.$Properties} message SeriesBody message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                SeriesBody.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.series != null && message.series.length)
                        for (let i = 0; i < message.series.length; ++i)
                            $root.strata.segment.v1.Series.encode(message.series[i], writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a SeriesBody message from the specified reader or buffer.
                 * @function decode
                 * @memberof strata.segment.v1.SeriesBody
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {strata.segment.v1.SeriesBody & strata.segment.v1.SeriesBody.$Shape} SeriesBody
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                SeriesBody.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.strata.segment.v1.SeriesBody();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.series && message.series.length))
                                    message.series = [];
                                message.series.push($root.strata.segment.v1.Series.decode(reader, reader.size(), $undefined, _depth + 1));
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return SeriesBody;
            })();

            v1.Series = (function() {

                /**
                 * Properties of a Series.
                 * @typedef {Object} strata.segment.v1.Series.$Properties
                 * @property {Array.<strata.segment.v1.Label.$Properties>|null} [labels] Series labels
                 * @property {Array.<strata.segment.v1.Sample.$Properties>|null} [samples] Series samples
                 * @property {Array.<string>|null} [functions] Series functions
                 * @property {Array.<strata.segment.v1.Stack.$Properties>|null} [stacks] Series stacks
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Series.
                 * @memberof strata.segment.v1
                 * @interface ISeries
                 * @augments strata.segment.v1.Series.$Properties
                 * @deprecated Use strata.segment.v1.Series.$Properties instead.
                 */

                /**
                 * Shape of a Series.
                 * @typedef {strata.segment.v1.Series.$Properties} strata.segment.v1.Series.$Shape
                 */

                /**
                 * Constructs a new Series.
                 * @memberof strata.segment.v1
                 * @classdesc Represents a Series.
                 * @constructor
                 * @param {strata.segment.v1.Series.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Series = function (properties) {
                    this.labels = [];
                    this.samples = [];
                    this.functions = [];
                    this.stacks = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Series labels.
                 * @member {Array.<strata.segment.v1.Label.$Properties>} labels
                 * @memberof strata.segment.v1.Series
                 * @instance
                 */
                Series.prototype.labels = $util.emptyArray;

                /**
                 * Series samples.
                 * @member {Array.<strata.segment.v1.Sample.$Properties>} samples
                 * @memberof strata.segment.v1.Series
                 * @instance
                 */
                Series.prototype.samples = $util.emptyArray;

                /**
                 * Series functions.
                 * @member {Array.<string>} functions
                 * @memberof strata.segment.v1.Series
                 * @instance
                 */
                Series.prototype.functions = $util.emptyArray;

                /**
                 * Series stacks.
                 * @member {Array.<strata.segment.v1.Stack.$Properties>} stacks
                 * @memberof strata.segment.v1.Series
                 * @instance
                 */
                Series.prototype.stacks = $util.emptyArray;

                /**
                 * Creates a new Series instance using the specified properties.
                 * @function create
                 * @memberof strata.segment.v1.Series
                 * @static
                 * @param {strata.segment.v1.Series.$Properties=} [properties] Properties to set
                 * @returns {strata.segment.v1.Series} Series instance
                 * @type {{
                 *   (properties: strata.segment.v1.Series.$Shape): strata.segment.v1.Series & strata.segment.v1.Series.$Shape;
                 *   (properties?: strata.segment.v1.Series.$Properties): strata.segment.v1.Series;
                 * }}
                 */
                Series.create = function(properties) {
                    return new Series(properties);
                };

                /**
                 * Encodes the specified Series message. Does not implicitly {@link strata.segment.v1.Series.verify|verify} messages.
                 * @function encode
                 * @memberof strata.segment.v1.Series
                 * @static
                 * @param {strata.segment.v1.Series.$Properties} message Series message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Series.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.labels != null && message.labels.length)
                        for (let i = 0; i < message.labels.length; ++i)
                            $root.strata.segment.v1.Label.encode(message.labels[i], writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
                    if (message.samples != null && message.samples.length)
                        for (let i = 0; i < message.samples.length; ++i)
                            $root.strata.segment.v1.Sample.encode(message.samples[i], writer.uint32(/* id 2, wireType 2 =*/18).fork(), _depth + 1).ldelim();
                    if (message.functions != null && message.functions.length)
                        for (let i = 0; i < message.functions.length; ++i)
                            writer.uint32(/* id 5, wireType 2 =*/42).string(message.functions[i]);
                    if (message.stacks != null && message.stacks.length)
                        for (let i = 0; i < message.stacks.length; ++i)
                            $root.strata.segment.v1.Stack.encode(message.stacks[i], writer.uint32(/* id 6, wireType 2 =*/50).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Series message from the specified reader or buffer.
                 * @function decode
                 * @memberof strata.segment.v1.Series
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {strata.segment.v1.Series & strata.segment.v1.Series.$Shape} Series
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Series.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.strata.segment.v1.Series();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.labels && message.labels.length))
                                    message.labels = [];
                                message.labels.push($root.strata.segment.v1.Label.decode(reader, reader.size(), $undefined, _depth + 1));
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.samples && message.samples.length))
                                    message.samples = [];
                                message.samples.push($root.strata.segment.v1.Sample.decode(reader, reader.size(), $undefined, _depth + 1));
                                continue;
                            }
                        case 5: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.functions && message.functions.length))
                                    message.functions = [];
                                message.functions.push(reader.stringVerify());
                                continue;
                            }
                        case 6: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.stacks && message.stacks.length))
                                    message.stacks = [];
                                message.stacks.push($root.strata.segment.v1.Stack.decode(reader, reader.size(), $undefined, _depth + 1));
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Series;
            })();

            v1.Label = (function() {

                /**
                 * Properties of a Label.
                 * @typedef {Object} strata.segment.v1.Label.$Properties
                 * @property {string|null} [name] Label name
                 * @property {string|null} [value] Label value
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Label.
                 * @memberof strata.segment.v1
                 * @interface ILabel
                 * @augments strata.segment.v1.Label.$Properties
                 * @deprecated Use strata.segment.v1.Label.$Properties instead.
                 */

                /**
                 * Shape of a Label.
                 * @typedef {strata.segment.v1.Label.$Properties} strata.segment.v1.Label.$Shape
                 */

                /**
                 * Constructs a new Label.
                 * @memberof strata.segment.v1
                 * @classdesc Represents a Label.
                 * @constructor
                 * @param {strata.segment.v1.Label.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Label = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Label name.
                 * @member {string} name
                 * @memberof strata.segment.v1.Label
                 * @instance
                 */
                Label.prototype.name = "";

                /**
                 * Label value.
                 * @member {string} value
                 * @memberof strata.segment.v1.Label
                 * @instance
                 */
                Label.prototype.value = "";

                /**
                 * Creates a new Label instance using the specified properties.
                 * @function create
                 * @memberof strata.segment.v1.Label
                 * @static
                 * @param {strata.segment.v1.Label.$Properties=} [properties] Properties to set
                 * @returns {strata.segment.v1.Label} Label instance
                 * @type {{
                 *   (properties: strata.segment.v1.Label.$Shape): strata.segment.v1.Label & strata.segment.v1.Label.$Shape;
                 *   (properties?: strata.segment.v1.Label.$Properties): strata.segment.v1.Label;
                 * }}
                 */
                Label.create = function(properties) {
                    return new Label(properties);
                };

                /**
                 * Encodes the specified Label message. Does not implicitly {@link strata.segment.v1.Label.verify|verify} messages.
                 * @function encode
                 * @memberof strata.segment.v1.Label
                 * @static
                 * @param {strata.segment.v1.Label.$Properties} message Label message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Label.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.name);
                    if (message.value != null && $Object.hasOwnProperty.call(message, "value") && message.value !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.value);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Label message from the specified reader or buffer.
                 * @function decode
                 * @memberof strata.segment.v1.Label
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {strata.segment.v1.Label & strata.segment.v1.Label.$Shape} Label
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Label.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.strata.segment.v1.Label();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.name = value;
                                else
                                    delete message.name;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.value = value;
                                else
                                    delete message.value;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Label;
            })();

            v1.Sample = (function() {

                /**
                 * Properties of a Sample.
                 * @typedef {Object} strata.segment.v1.Sample.$Properties
                 * @property {number|null} [value] Sample value
                 * @property {number|null} [timestamp] Sample timestamp
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Sample.
                 * @memberof strata.segment.v1
                 * @interface ISample
                 * @augments strata.segment.v1.Sample.$Properties
                 * @deprecated Use strata.segment.v1.Sample.$Properties instead.
                 */

                /**
                 * Shape of a Sample.
                 * @typedef {strata.segment.v1.Sample.$Properties} strata.segment.v1.Sample.$Shape
                 */

                /**
                 * Constructs a new Sample.
                 * @memberof strata.segment.v1
                 * @classdesc Represents a Sample.
                 * @constructor
                 * @param {strata.segment.v1.Sample.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Sample = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Sample value.
                 * @member {number} value
                 * @memberof strata.segment.v1.Sample
                 * @instance
                 */
                Sample.prototype.value = 0;

                /**
                 * Sample timestamp.
                 * @member {number} timestamp
                 * @memberof strata.segment.v1.Sample
                 * @instance
                 */
                Sample.prototype.timestamp = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * Creates a new Sample instance using the specified properties.
                 * @function create
                 * @memberof strata.segment.v1.Sample
                 * @static
                 * @param {strata.segment.v1.Sample.$Properties=} [properties] Properties to set
                 * @returns {strata.segment.v1.Sample} Sample instance
                 * @type {{
                 *   (properties: strata.segment.v1.Sample.$Shape): strata.segment.v1.Sample & strata.segment.v1.Sample.$Shape;
                 *   (properties?: strata.segment.v1.Sample.$Properties): strata.segment.v1.Sample;
                 * }}
                 */
                Sample.create = function(properties) {
                    return new Sample(properties);
                };

                /**
                 * Encodes the specified Sample message. Does not implicitly {@link strata.segment.v1.Sample.verify|verify} messages.
                 * @function encode
                 * @memberof strata.segment.v1.Sample
                 * @static
                 * @param {strata.segment.v1.Sample.$Properties} message Sample message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Sample.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.value != null && $Object.hasOwnProperty.call(message, "value") && !$Object.is(message.value, 0))
                        writer.uint32(/* id 1, wireType 1 =*/9).double(message.value);
                    if (message.timestamp != null && $Object.hasOwnProperty.call(message, "timestamp") && (typeof message.timestamp === "object" ? message.timestamp.low || message.timestamp.high : message.timestamp !== 0))
                        writer.uint32(/* id 2, wireType 0 =*/16).int64(message.timestamp);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Sample message from the specified reader or buffer.
                 * @function decode
                 * @memberof strata.segment.v1.Sample
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {strata.segment.v1.Sample & strata.segment.v1.Sample.$Shape} Sample
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Sample.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.strata.segment.v1.Sample();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 1)
                                    break;
                                if (!$Object.is(value = reader.double(), 0))
                                    message.value = value;
                                else
                                    delete message.value;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.timestamp = value;
                                else
                                    delete message.timestamp;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Sample;
            })();

            v1.Stack = (function() {

                /**
                 * Properties of a Stack.
                 * @typedef {Object} strata.segment.v1.Stack.$Properties
                 * @property {number|null} [timestamp] Stack timestamp
                 * @property {Array.<number>|null} [frames] Stack frames
                 * @property {number|null} [value] Stack value
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Stack.
                 * @memberof strata.segment.v1
                 * @interface IStack
                 * @augments strata.segment.v1.Stack.$Properties
                 * @deprecated Use strata.segment.v1.Stack.$Properties instead.
                 */

                /**
                 * Shape of a Stack.
                 * @typedef {strata.segment.v1.Stack.$Properties} strata.segment.v1.Stack.$Shape
                 */

                /**
                 * Constructs a new Stack.
                 * @memberof strata.segment.v1
                 * @classdesc Represents a Stack.
                 * @constructor
                 * @param {strata.segment.v1.Stack.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Stack = function (properties) {
                    this.frames = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Stack timestamp.
                 * @member {number} timestamp
                 * @memberof strata.segment.v1.Stack
                 * @instance
                 */
                Stack.prototype.timestamp = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * Stack frames.
                 * @member {Array.<number>} frames
                 * @memberof strata.segment.v1.Stack
                 * @instance
                 */
                Stack.prototype.frames = $util.emptyArray;

                /**
                 * Stack value.
                 * @member {number} value
                 * @memberof strata.segment.v1.Stack
                 * @instance
                 */
                Stack.prototype.value = 0;

                /**
                 * Creates a new Stack instance using the specified properties.
                 * @function create
                 * @memberof strata.segment.v1.Stack
                 * @static
                 * @param {strata.segment.v1.Stack.$Properties=} [properties] Properties to set
                 * @returns {strata.segment.v1.Stack} Stack instance
                 * @type {{
                 *   (properties: strata.segment.v1.Stack.$Shape): strata.segment.v1.Stack & strata.segment.v1.Stack.$Shape;
                 *   (properties?: strata.segment.v1.Stack.$Properties): strata.segment.v1.Stack;
                 * }}
                 */
                Stack.create = function(properties) {
                    return new Stack(properties);
                };

                /**
                 * Encodes the specified Stack message. Does not implicitly {@link strata.segment.v1.Stack.verify|verify} messages.
                 * @function encode
                 * @memberof strata.segment.v1.Stack
                 * @static
                 * @param {strata.segment.v1.Stack.$Properties} message Stack message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Stack.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.timestamp != null && $Object.hasOwnProperty.call(message, "timestamp") && (typeof message.timestamp === "object" ? message.timestamp.low || message.timestamp.high : message.timestamp !== 0))
                        writer.uint32(/* id 1, wireType 0 =*/8).int64(message.timestamp);
                    if (message.frames != null && message.frames.length)
                        writer.uint32(/* id 2, wireType 2 =*/18).uint32s(message.frames);
                    if (message.value != null && $Object.hasOwnProperty.call(message, "value") && !$Object.is(message.value, 0))
                        writer.uint32(/* id 3, wireType 1 =*/25).double(message.value);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Stack message from the specified reader or buffer.
                 * @function decode
                 * @memberof strata.segment.v1.Stack
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {strata.segment.v1.Stack & strata.segment.v1.Stack.$Shape} Stack
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Stack.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.strata.segment.v1.Stack();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.timestamp = value;
                                else
                                    delete message.timestamp;
                                continue;
                            }
                        case 2: {
                                if (wireType === 2) {
                                    if (!(message.frames && message.frames.length))
                                        message.frames = [];
                                    reader.uint32s(message.frames);
                                    continue;
                                }
                                if (wireType !== 0)
                                    break;
                                if (!(message.frames && message.frames.length))
                                    message.frames = [];
                                message.frames.push(reader.uint32());
                                continue;
                            }
                        case 3: {
                                if (wireType !== 1)
                                    break;
                                if (!$Object.is(value = reader.double(), 0))
                                    message.value = value;
                                else
                                    delete message.value;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Stack;
            })();

            return v1;
        })();

        return segment;
    })();

    return strata;
})();

export {
  $root as default
};
