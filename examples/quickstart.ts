// OpenRoom quick start: two users meet in a room and exchange a message.
//   npx openroom serve --insecure-dev-auth          (a server that accepts any token)
//   npx tsx examples/quickstart.ts [ws://127.0.0.1:7700]
import { pathToFileURL } from "node:url";
import { connect, roomMessageText } from "../reference/client/node.js";

export async function main(url: string, print: (line: string) => void = console.log): Promise<void> {
  const alice = await connect(url);
  const bob = await connect(url, { encoding: "json" }); // binary by default; JSON works the same
  // Real servers want a JWT (HS256, sub = userId); --insecure-dev-auth takes any token.
  await alice.login({ userId: "alice", userName: "Alice", token: "dev" });
  await bob.login({ userId: "bob", userName: "Bob", token: "dev" });

  bob.on("roomMemberLeft", (e) => print(`bob sees ${e.members.map((m) => m.userName).join(", ")} leave ${e.roomId}`));
  const received = new Promise<string>((resolve) =>
    bob.on("roomMessageReceived", ({ message }) => resolve(`${message?.senderUserId}: ${message ? roomMessageText(message) : ""}`)),
  );

  const entered = await alice.enterRoom({ roomInfo: { roomId: "lobby", roomName: "Lobby" } });
  print(`alice entered lobby (created: ${entered.created})`);
  await bob.enterRoom({ roomInfo: { roomId: "lobby" } });
  print(`lobby has ${(await bob.queryRoomOnlineMemberCount("lobby")).count} members`);

  await alice.sendRoomMessage({ roomId: "lobby", payload: "hello, Bob!" });
  print(`bob received ${await received}`);

  await alice.leaveRoom("lobby");
  await bob.ping(); // a barrier: bob has now seen every event alice caused
  await alice.logout();
  await bob.logout();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv[2] ?? process.env.OPENROOM_URL ?? "ws://127.0.0.1:7700");
}
