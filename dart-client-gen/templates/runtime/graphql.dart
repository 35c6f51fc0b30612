import 'dart:collection';
import 'dart:convert';

import 'core.dart';
import 'errors.dart';
import 'sha256.dart';
import 'transport.dart';

/// Where the server answers GraphQL (from the base URL).
const String graphqlPath = '/graphql';

/// The hashes of this many distinct documents are kept (apps have a fixed
/// set; generated ones come and go).
const int _hashesKept = 500;

const String _notFound = 'PERSISTED_QUERY_NOT_FOUND';
const String _notSupported = 'PERSISTED_QUERY_NOT_SUPPORTED';

final RegExp _word = RegExp(r'[_A-Za-z][_0-9A-Za-z]*');
final RegExp _ignored = RegExp(r'[\s,\uFEFF]');

/// The type of the operation [document] runs (`query`, `mutation` or
/// `subscription`): [operationName]'s, else its only one; null when it
/// cannot tell. A small scanner: comments, strings, variable definitions
/// and selections are skipped.
String? graphqlOperationType(String document, {String? operationName}) {
  final ops = <List<String?>>[]; // [type, name]
  final n = document.length;
  var depth = 0; // selection sets
  var parens = 0; // a definition's variables or directive arguments
  var head = false; // a definition's keyword was read, its selection set not yet
  var i = 0;
  while (i < n) {
    final c = document[i];
    if (c == '#') {
      while (i < n && document[i] != '\n' && document[i] != '\r') {
        i++;
      }
    } else if (c == '"') {
      if (document.startsWith('"""', i)) {
        i += 3;
        while (i < n && !document.startsWith('"""', i)) {
          i += document.startsWith('\\"""', i) ? 4 : 1;
        }
        i += 3;
      } else {
        i++;
        while (i < n && document[i] != '"' && document[i] != '\n') {
          i += document[i] == '\\' ? 2 : 1;
        }
        i++;
      }
    } else if (depth == 0 && (c == '(' || c == ')')) {
      parens = c == '(' ? parens + 1 : (parens > 0 ? parens - 1 : 0);
      i++;
    } else if (depth == 0 && parens > 0) {
      // Default values and directive arguments: no selections, no keywords.
      i++;
    } else if (c == '{') {
      // The shorthand `{ … }` is a query.
      if (depth == 0 && !head) ops.add(<String?>['query', null]);
      if (depth == 0) head = false;
      depth++;
      i++;
    } else if (c == '}') {
      if (depth > 0) depth--;
      i++;
    } else if (depth == 0 && _word.matchAsPrefix(document, i) != null) {
      final w = _word.matchAsPrefix(document, i)!.group(0)!;
      i += w.length;
      if (w == 'query' || w == 'mutation' || w == 'subscription') {
        while (i < n && _ignored.hasMatch(document[i])) {
          i++;
        }
        final m = _word.matchAsPrefix(document, i);
        ops.add(<String?>[w, m?.group(0)]);
        if (m != null) i += m.group(0)!.length;
        head = true;
      } else if (w == 'fragment') {
        head = true;
      }
    } else {
      i++;
    }
  }
  final matching = operationName != null
      ? ops.where((o) => o[1] == operationName).toList()
      : (ops.length == 1 ? ops : const <List<String?>>[]);
  return matching.isEmpty ? null : matching.first[0];
}

/// `client.graphql`: sends operations to `POST /graphql`, by hash first
/// (automatic persisted queries). One per client; it remembers each
/// document's hash. Created by `ApiClient`; not for direct use.
class GraphQLApi {
  GraphQLApi(this._core, {bool persistedQueries = true}) : _persisted = persistedQueries;

  final ApiCore _core;

  /// Cleared when the server says it does not support persisted queries.
  bool _persisted;

  /// Document text → its SHA-256 (hex), oldest first.
  final LinkedHashMap<String, String> _hashes = LinkedHashMap<String, String>();

  /// The SHA-256 (hex) of [document]'s UTF-8 bytes, computed once per
  /// document text.
  String hashOf(String document) {
    final known = _hashes[document];
    if (known != null) return known;
    final hash = sha256Hex(document);
    if (_hashes.length >= _hashesKept) _hashes.remove(_hashes.keys.first);
    _hashes[document] = hash;
    return hash;
  }

  /// Runs [document]; returns its `data`, throws [GraphQLException] when
  /// the answer has `errors`.
  Future<Map<String, dynamic>> request(
    String document, {
    Map<String, Object?>? variables,
    String? operationName,
    bool? persisted,
    Map<String, String> headers = const <String, String>{},
  }) async {
    final base = <String, Object?>{
      if (operationName != null) 'operationName': operationName,
      if (variables != null) 'variables': variables,
    };
    // A mutation (or what cannot be read as a query) is not sent again after
    // a lost answer: the server keeps no idempotency key for GraphQL.
    final query = graphqlOperationType(document, operationName: operationName) == 'query';
    Future<_Answer> send(Map<String, Object?> body) => _send(body, headers, unprocessedOnly: !query);

    if (!(persisted ?? _persisted)) return _result(await send(<String, Object?>{...base, 'query': document}));
    final extensions = <String, Object?>{
      'persistedQuery': <String, Object?>{'version': 1, 'sha256Hash': hashOf(document)},
    };
    var answer = await send(<String, Object?>{...base, 'extensions': extensions});
    final codes = answer.errors.map((e) => e.code ?? _codeOf(e.message)).toList();
    if (codes.contains(_notSupported)) {
      _persisted = false;
      answer = await send(<String, Object?>{...base, 'query': document});
    } else if (codes.contains(_notFound)) {
      answer = await send(<String, Object?>{...base, 'query': document, 'extensions': extensions});
    }
    return _result(answer);
  }

  Future<_Answer> _send(Map<String, Object?> body, Map<String, String> headers, {required bool unprocessedOnly}) async {
    final response = await _core.sendForAnswer('POST', graphqlPath,
        json: body, headers: headers, keyed: false, unprocessedOnly: unprocessedOnly);
    final request = _core.requestOf(response);
    Object? decoded;
    try {
      decoded = response.body.isEmpty ? null : jsonDecode(response.body);
    } on FormatException {
      decoded = null;
    }
    if (response.status >= 400) {
      // A request the server could not execute: `{errors}` with 4xx (a
      // problem document, such as the gate's 401, stays an ApiException).
      if (decoded is Map<String, dynamic> && decoded['errors'] is List && !decoded.containsKey('type')) {
        final extensions = decoded['extensions'];
        throw GraphQLException(
          errors: GraphQLError.listFrom(decoded['errors']),
          status: response.status,
          extensions: extensions is Map<String, dynamic> ? extensions : null,
          headers: response.headers,
          request: request,
        );
      }
      throw ApiException.fromResponse(response, request: request);
    }
    if (decoded is! Map<String, dynamic>) {
      throw InvalidResponseException('the answer to POST $graphqlPath is not a GraphQL response',
          status: response.status, body: response.body, request: request);
    }
    return _Answer(decoded, response, request);
  }

  Map<String, dynamic> _result(_Answer answer) {
    final body = answer.body;
    final data = body['data'];
    final extensions = body['extensions'];
    if (answer.errors.isNotEmpty) {
      throw GraphQLException(
        errors: answer.errors,
        data: data is Map<String, dynamic> ? data : null,
        status: answer.response.status,
        extensions: extensions is Map<String, dynamic> ? extensions : null,
        headers: answer.response.headers,
        request: answer.request,
      );
    }
    if (data is! Map<String, dynamic>) {
      throw InvalidResponseException('a GraphQL answer without data or errors',
          status: answer.response.status, body: answer.response.body, request: answer.request);
    }
    return data;
  }

  static String? _codeOf(String message) => message == 'PersistedQueryNotFound'
      ? _notFound
      : (message == 'PersistedQueryNotSupported' ? _notSupported : null);
}

/// A decoded GraphQL answer.
class _Answer {
  _Answer(this.body, this.response, this.request) : errors = GraphQLError.listFrom(body['errors']);

  final Map<String, dynamic> body;
  final ApiResponse response;
  final ApiRequest? request;
  final List<GraphQLError> errors;
}
