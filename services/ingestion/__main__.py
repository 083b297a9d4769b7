from services.ingestion.main import main

main()
