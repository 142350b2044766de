#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Writes the seed corpora of the fuzz targets (corpus/<target>/). The seeds
# are committed; this only says what each one is and makes them again.
# Every input that once crashed a target belongs here.
#
# Usage: tests/fuzz/make-seeds.py

import os

HERE = os.path.dirname(os.path.abspath(__file__))

# fuzz-convex-response: a first byte 0 picks the status from this list
# (the order of `statuses` in fuzz-convex-response.c)
STATUSES = [200, 560, 204, 301, 302, 307, 308, 400, 401, 403, 404, 408, 409,
            429, 500, 502, 503, 504]

DEEP = b'[' * 100000

# JSON bodies shared by the targets that read JSON
BODIES = {
    'success-plain': b'{"status":"success","value":{"title":"x","n":1,"ok":true,"none":null}}',
    'success-encoded': (b'{"status":"success","value":{"i":{"$integer":"AQAAAAAAAAA="},'
                        b'"f":{"$float":"AAAAAAAA8D8="},"b":{"$bytes":"AAEC"},'
                        b'"list":[1,2.5,"x",true,null,{"$integer":"//////////8="}]}}'),
    'success-no-value': b'{"status":"success"}',
    'status-number': b'{"status":1}',
    'error-data-code-number': b'{"status":"error","errorData":{"code":5,"message":"x"}}',
    'error-data-not-found': b'{"status":"error","errorMessage":"x","errorData":{"code":"NotFound","message":"gone"}}',
    'error-data-invalid': b'{"status":"error","errorData":{"code":"InvalidArgument","message":"bad \\u0007 title"}}',
    'error-data-array': b'{"status":"error","errorData":[1,2]}',
    'error-bare': b'{"status":"error"}',
    'error-message-number': b'{"status":"error","errorMessage":5}',
    'error-uncaught': (b'{"status":"error","errorMessage":"[Request ID: 1a2b] Server Error\\n'
                       b'Uncaught Error: boom\\n    at handler (../convex/notes.ts:12:3)"}'),
    'error-request-id-only': b'{"status":"error","errorMessage":"[Request ID: 1a2b]"}',
    'error-uncaught-no-colon': b'{"status":"error","errorMessage":"Uncaught Error"}',
    'error-not-deployed': b'{"status":"error","errorMessage":"Could not find public function for \'cairn:list\'"}',
    'error-too-large': b'{"status":"error","errorMessage":"Value is too large (1.2 MiB > 1 MiB)"}',
    'error-long': b'{"status":"error","errorMessage":"' + '\u00e9\\t\\u0001\u2028'.encode() * 300 + b'"}',
    'code-null-message-number': b'{"code":null,"message":5}',
    'code-number': b'{"code":7}',
    'code-read-only': b'{"code":"OperationNotPermitted","message":"read-only key"}',
    'code-bad-body': b'{"code":"BadJsonBody","message":"expected args"}',
    'code-long-control': b'{"code":"' + b'\\u001b[31m' * 100 + b'","message":"\\u0000x"}',
    'empty-array': b'[]',
    'string-success': b'"success"',
    'number': b'5',
    'null': b'null',
    'deep': DEEP,
    'deep-64': b'[' * 64 + b']' * 64,
    'deep-65': b'[' * 65 + b']' * 65,
    'brackets-in-string': b'{"status":"success","value":"' + b'[{' * 100 + b'\\"[{"}',
    'invalid-utf8': b'{"status":"success","value":"\xff\xfe\xc3\x28"}',
    'invalid-utf8-message': b'{"code":"X","message":"\xed\xa0\x80"}',
    'nul-in-string': b'{"status":"success","value":"a\x00b"}',
    'nul-escaped': b'{"status":"success","value":"a\\u0000b"}',
    'lone-surrogate': b'{"status":"success","value":"\\ud800"}',
    'integer-short': b'{"status":"success","value":{"$integer":"AAAA"}}',
    'integer-long': b'{"status":"success","value":{"$integer":"AAAAAAAAAAAAAAAA"}}',
    'integer-not-base64': b'{"status":"success","value":{"$integer":"!!!!====~~"}}',
    'float-number': b'{"status":"success","value":{"$float":5}}',
    'float-nan': b'{"status":"success","value":{"$float":"AAAAAAAA+H8="}}',
    'float-inf': b'{"status":"success","value":{"$float":"AAAAAAAA8H8="}}',
    'special-two-members': b'{"status":"success","value":{"$integer":"AQAAAAAAAAA=","x":1}}',
    'bytes-number': b'{"status":"success","value":{"$bytes":1}}',
    'huge-exponent': b'{"status":"success","value":[1e400,-1e400,1e-400]}',
    'huge-integer': b'{"status":"success","value":[123456789012345678901234567890,-9223372036854775809]}',
    'duplicate-keys': b'{"status":"error","status":"success","value":1}',
    'trailing-garbage': b'{"status":"success","value":1} x',
    # Found by fuzzing. json-glib quoted a lone surrogate escape as CESU-8
    # bytes in its message, which reached the error message unchanged.
    'found-surrogate-message': b'{"status":"success","value":"\\ud800status":"success","value""}',
    # json-glib skips C comments and reads single-quoted strings; a " in
    # either hid the brackets after it from the depth bound.
    'found-comment-hides-depth': b'/*"*/' + b'[' * 65 + b']' * 65,
    'found-single-quote-hides-depth': b"['\"'," + b'[' * 65 + b']' * 65 + b']',
    # json-glib decodes a lone low surrogate escape to bytes that are not
    # UTF-8 (and drops the character after it): strings that are not text
    'found-lone-surrogate-value': b'{"status":"success","value":"x\\udc00y"}',
    'found-lone-surrogate-key': b'{"status":"success","value":{"t\\udc00itle":1}}',
    # errorData with a message that comes out empty (\u0000 ends a string in
    # json-glib, control characters are dropped): an error without words
    'found-empty-function-message': (b'{"status":"error","errorrMessage":"x","errorData":'
                                     b'{"code":"NotFound","message":"\\u0000gone"}}'),
    'error-data-message-empty': b'{"status":"error","errorData":{"code":"InvalidArgument","message":""}}',
    'error-data-message-control': b'{"status":"error","errorData":{"message":"\\u0007\\u001b"}}',
}

# fuzz-convex-response: (status, body)
RESPONSES = {
    'empty-404': (404, b''), 'empty-408': (408, b''), 'empty-502': (502, b''),
    'empty-503': (503, b''), 'empty-200': (200, b''), 'empty-560': (560, b''),
    'empty-204': (204, b''), 'empty-500': (500, b''), 'empty-401': (401, b''),
    'code-null-503': (503, BODIES['code-null-message-number']),
    'code-number-401': (401, BODIES['code-number']),
    'read-only-403': (403, BODIES['code-read-only']),
    'read-only-400': (400, BODIES['code-read-only']),
    'bad-body-400': (400, BODIES['code-bad-body']),
    'control-409': (409, BODIES['code-long-control']),
    'message-429': (429, b'{"message":"slow down"}'),
    'html-502': (502, b'<html><body>Bad Gateway</body></html>'),
    'invalid-utf8-500': (500, BODIES['invalid-utf8-message']),
    'redirect-301': (301, b'https://elsewhere.example/api/query'),
    'redirect-302-relative': (302, b'/login'),
    'redirect-307-control': (307, b'https://a\x01b.example/'),
    'redirect-308-ipv6': (308, b'http://[::1'),
    'error-560': (560, BODIES['error-uncaught']),
    'raw-600': (0x0258, b'{"code":"X"}'),
    'raw-999': (0x03e7, b''),
    'raw-65535': (0xffff, b'{}'),
    'found-surrogate-message': (200, b'{"satus":"sucud800cesValue is too larges","value":"\\ud80":"AAAAAAAA8D8="},"B":{"$0"}'),
}

# fuzz-sync-message: server frames, separated by 0xff
V0 = b'{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="}'
V1 = b'{"querySet":1,"identity":1,"ts":"AOL5ZQh3exg="}'
V2 = b'{"querySet":1,"identity":1,"ts":"gJTgdAh3exg="}'
TRANSITION = (b'{"type":"Transition","startVersion":' + V0 + b',"endVersion":' + V1 +
              b',"modifications":[{"type":"QueryUpdated","queryId":0,"value":{"page":[{"clientId":"a",'
              b'"n":{"$integer":"BQAAAAAAAAA="}}],"isDone":true,"continueCursor":"x"},"logLines":[],"journal":null}]}')


def chunked(text, size):
    parts = [text[i:i + size] for i in range(0, len(text), size)]
    return b'\xff'.join(b'{"type":"TransitionChunk","chunk":"' + p.replace(b'\\', b'\\\\').replace(b'"', b'\\"') +
                        b'","partNumber":%d,"totalParts":%d,"transitionId":"%d"}' % (i, len(parts), len(text))
                        for i, p in enumerate(parts))


SYNC_MESSAGES = {
    'transition': TRANSITION,
    'transitions-in-a-row': TRANSITION + b'\xff' + b'{"type":"Transition","startVersion":' + V1 +
                            b',"endVersion":' + V2 + b',"modifications":[{"type":"QueryRemoved","queryId":0}]}',
    'query-failed': (b'{"type":"Transition","startVersion":' + V0 + b',"endVersion":' + V1 +
                     b',"modifications":[{"type":"QueryFailed","queryId":3,"errorMessage":"[Request ID: 1a] Server '
                     b'Error\\nUncaught Error: boom\\n    at f (x.ts:1:1)","logLines":["l"],"journal":null,'
                     b'"errorData":{"code":"UnknownIndex","message":"no index"}}],"serverTs":1,"clientClockSkew":null}'),
    'chunks': chunked(TRANSITION, 40),
    'chunks-out-of-order': b'\xff'.join(reversed(chunked(TRANSITION, 60).split(b'\xff'))),
    'chunks-interrupted': chunked(TRANSITION, 50).replace(b'\xff', b'\xff{"type":"Ping"}\xff', 1) +
                          b'\xff{"type":"FatalError","error":"x"}',
    'ping': b'{"type":"Ping"}',
    'auth-error': b'{"type":"AuthError","error":"The provided admin key was invalid","baseVersion":0,"authUpdateAttempted":true}',
    'fatal-error': b'{"type":"FatalError","error":"Base version 3 passed up doesn\'t match the current version 1"}',
    'mutation-response': b'{"type":"MutationResponse","requestId":0,"success":true,"result":null,"ts":"gJTgdAh3exg=","logLines":[]}',
    'malformed': b'{"type":"Transition","startVersion":{"querySet":',
    'bad-ts': TRANSITION.replace(b'AOL5ZQh3exg=', b'AOL5ZQh3exh='),
    'unknown-modification': TRANSITION.replace(b'QueryUpdated', b'QueryChanged'),
}


def write(target, name, data):
    directory = os.path.join(HERE, 'corpus', target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), 'wb') as f:
        f.write(data)


def status_prefix(status):
    if status in STATUSES:
        return bytes([0, STATUSES.index(status)])
    assert status >= 0x100
    return bytes([status >> 8, status & 0xff])


def main():
    for name, body in BODIES.items():
        write('fuzz-json', name, body)
        write('fuzz-convex-response', '200-' + name, status_prefix(200) + body)
    # the stack overflow itself: past the bound unseen, json-glib recursed
    # once per bracket (100 KB, but a run of one byte costs git nothing)
    write('fuzz-json', 'found-comment-hides-depth-overflow', b'/*"*/' + b'[' * 100000)
    for name, (status, body) in RESPONSES.items():
        write('fuzz-convex-response', name, status_prefix(status) + body)

    # documents and patches, valid and nearly so
    uuid = b'"0b3c0a8e-1f4d-4a57-9c2e-5d6f7a8b9c0d"'
    schema = {
        'note': b'{"clientId":' + uuid + b',"title":"t","content":"c","pinned":false,"createdAt":1,"updatedAt":2.5}',
        'message': (b'{"clientId":' + uuid + b',"conversationId":' + uuid +
                    b',"role":"user","content":"hi","createdAt":1700000000000}'),
        'conversation': (b'{"clientId":' + uuid + b',"title":"t","pinned":true,"archived":false,'
                         b'"createdAt":1,"updatedAt":1}'),
        'outbox': (b'{"clientId":' + uuid + b',"workspace":"w","operation":"insert","targetTable":"notes",'
                   b'"documentId":' + uuid + b',"payload":"{}","createdAt":1}'),
        'patch': b'{"title":"new","updatedAt":3}',
        'patch-client-id': b'{"clientId":' + uuid + b'}',
        'bad-client-id': b'{"clientId":"0B3C0A8E-1F4D-4A57-9C2E-5D6F7A8B9C0D-","title":"t"}',
        'wrong-types': b'{"clientId":5,"title":null,"pinned":"yes","createdAt":"1","updatedAt":[1]}',
        'unknown-field': b'{"title":"t","colour":"red"}',
        'empty-object': b'{}',
        'nested-values': b'{"title":{"a":1},"content":[["x"]],"pinned":{"$integer":"AAAA"}}',
        'huge-numbers': b'{"createdAt":1e400,"updatedAt":-1e400,"lastCheck":123456789012345678901234567890}',
        'nul-in-key': b'{"ti\\u0000tle":"t"}',
        'invalid-utf8': b'{"title":"\xff"}',
        'deep': DEEP,
        # found by fuzzing: the unknown member's name, not UTF-8, went into
        # the error message
        'found-lone-surrogate-key': b'{"t\\udc00itle":"t","colour":"red"}',
        'lone-surrogate-value': b'{"title":"x\\udc00y"}',
        # found by fuzzing: json-glib writes 5e40 as 5e+40.0, which it cannot
        # read back
        'found-exponent-without-point': b'{"createdAt":5e40,"updatedAt":-0e90}',
        'exponent-with-point': b'{"createdAt":1.5e40,"updatedAt":1e-7}',
    }
    for name, text in schema.items():
        write('fuzz-schema', name, text)

    # outbox rows: the row's JSON, optionally NUL and the payload's raw text
    row = (b'{"clientId":' + uuid + b',"workspace":"w","operation":"%s","targetTable":"notes",'
           b'"documentId":' + uuid + b',"payload":%s,"createdAt":1}')
    outbox = {
        'insert': row % (b'insert', b'"{\\"title\\":\\"t\\"}"'),
        'patch': row % (b'patch', b'"{\\"title\\":\\"u\\"}"'),
        'remove': row % (b'remove', b'""'),
        'remove-with-payload': row % (b'remove', b'"[1]"'),
        'insert-empty-payload': row % (b'insert', b'""'),
        'insert-payload-array': row % (b'insert', b'"[]"'),
        'insert-payload-number': row % (b'insert', b'5'),
        'unknown-operation': row % (b'upsert', b'"{}"'),
        'operation-number': row % (b'1', b'"{}"'),
        'missing-members': b'{"operation":"insert"}',
        'wrong-types': b'{"clientId":1,"operation":"insert","targetTable":[],"documentId":null,"payload":{}}',
        'empty-object': b'{}',
        'payload-only': b'\x00{"title":"t","content":"c"}',
        'payload-valid-note': (b'\x00{"clientId":' + uuid + b',"title":"t","content":"c","pinned":false,'
                               b'"createdAt":1,"updatedAt":2}'),
        'payload-note-huge-number': (b'\x00{"clientId":' + uuid + b',"title":"t","content":"c","pinned":false,'
                                     b'"createdAt":1e400,"updatedAt":2}'),
        'payload-deep': b'\x00' + DEEP,
        'payload-invalid-utf8': b'\x00{"title":"\xff"}',
        'payload-huge-number': b'\x00{"createdAt":1e400}',
        'payload-nul': b'\x00{"title":"a\x00b"}',
        'payload-escaped-nul': b'\x00{"title":"a\\u0000b"}',
        'payload-lone-surrogate': b'\x00{"title":"a\\udc00b"}',
        'payload-note-exponent': (b'\x00{"clientId":' + uuid + b',"title":"t","content":"c","pinned":false,'
                                  b'"createdAt":1e20,"updatedAt":2}'),
        'payload-empty': b'\x00',
        'row-then-payload': row % (b'patch', b'"x"') + b'\x00{"pinned":true}',
        'failed': row[:-1] % (b'insert', b'"{}"') + b',"status":"failed","error":"too large"}',
        'failed-no-error': row[:-1] % (b'patch', b'"{}"') + b',"status":"failed","error":5}',
        'status-unknown': row[:-1] % (b'remove', b'""') + b',"status":"sent"}',
        'status-number': row[:-1] % (b'remove', b'""') + b',"status":1}',
        'status-empty': row[:-1] % (b'remove', b'""') + b',"status":""}',
    }
    for name, text in outbox.items():
        write('fuzz-outbox-entry', name, text)

    for name, frames in SYNC_MESSAGES.items():
        write('fuzz-sync-message', name, frames)


if __name__ == '__main__':
    main()
