export async function getToken(): Promise<string> {
  return "token";
}
