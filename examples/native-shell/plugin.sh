#!/bin/sh
# A plugin in plain POSIX shell: read one JSON message per line, answer one per line.
# The host always writes {"type":"…","id":N,…} with type first and id second, so no JSON parser is needed here.
read -r hello || exit 0
echo '{"type":"ready","methods":["handle_request","health_check"]}'
calls=0
while read -r line; do
  rest=${line#*\"id\":}
  id=${rest%%[,\}]*}
  case "$line" in
    '{"type":"call"'*'"method":"handle_request"'*)
      calls=$((calls + 1))
      printf '{"type":"result","id":%s,"ok":true,"value":{"status_code":200,"headers":{"content-type":"application/json"},"body":{"hello":"from a shell script","calls":%s,"uid":%s}}}\n' "$id" "$calls" "$(id -u)"
      ;;
    '{"type":"call"'*'"method":"health_check"'*)
      printf '{"type":"result","id":%s,"ok":true,"value":{"status":"healthy"}}\n' "$id"
      ;;
    '{"type":"call"'*)
      # A method this script does not offer (it announced only the two above): the ABI's coded refusal.
      printf '{"type":"result","id":%s,"ok":false,"error":{"code":"PLW_ERR_METHOD_NOT_IMPLEMENTED","message":"this shell plugin offers handle_request and health_check only"}}\n' "$id"
      ;;
    '{"type":"ping"'*)
      printf '{"type":"pong","id":%s}\n' "$id"
      ;;
  esac
done
